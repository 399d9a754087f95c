"""High-level tools built on cclslr's components (keypoint extraction, ...)."""
from .keypoint_extraction import (DEFAULT_POSE_CHECKPOINT, DEFAULT_POSE_CONFIG, ExtractionSummary,
                                  ExtractionTask, WholeBodyPoseExtractor, build_dataset_from_config,
                                  collect_dataset_tasks, collect_video_tasks, is_finished, run_extraction,
                                  select_person)

__all__ = ['DEFAULT_POSE_CHECKPOINT', 'DEFAULT_POSE_CONFIG', 'ExtractionSummary', 'ExtractionTask',
           'WholeBodyPoseExtractor', 'build_dataset_from_config', 'collect_dataset_tasks',
           'collect_video_tasks', 'is_finished', 'run_extraction', 'select_person']
