"""Offline whole-body keypoint extraction: the MMPose and MediaPipe extractors and the batch job."""
from .extraction_jobs import (ExtractionSummary, build_dataset_from_config, collect_dataset_tasks,
                              collect_video_tasks, is_finished, run_extraction)
from .mediapipe_extractor import MediaPipeHolisticExtractor
from .mmpose_extractor import (DEFAULT_POSE_CHECKPOINT, DEFAULT_POSE_CONFIG, ExtractionTask,
                               WholeBodyPoseExtractor, select_person)

__all__ = ['DEFAULT_POSE_CHECKPOINT', 'DEFAULT_POSE_CONFIG', 'ExtractionSummary', 'ExtractionTask',
           'MediaPipeHolisticExtractor', 'WholeBodyPoseExtractor', 'build_dataset_from_config',
           'collect_dataset_tasks', 'collect_video_tasks', 'is_finished', 'run_extraction', 'select_person']
