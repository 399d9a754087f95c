"""The demo's last step: a few test clips from video to gloss through :func:`inference_recognizer`."""
import os.path as osp
from typing import List, Optional

from .inference import inference_recognizer, init_recognizer


def recognise_test_clips(config: str, checkpoint: str, cfg_options: Optional[dict] = None,
                         num_clips: int = 3) -> List[dict]:
    """Recognise ``num_clips`` clips of different glosses of the config's test split (the first of each
    class; video + its pose file) and print
    one line per clip: file, true gloss, predicted gloss, score.

    Args:
        config: a fine-tuning config; cfg_options: its overrides (e.g. the demo's ``--data-root``).
        checkpoint: a checkpoint file, or a work dir whose ``last_checkpoint`` names one.

    Returns:
        ``[{'video', 'true', 'predicted', 'score'}]``.
    """
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from cclslr.registry import DATASETS
    if osp.isdir(checkpoint):
        with open(osp.join(checkpoint, 'last_checkpoint')) as f:
            checkpoint = f.read().strip()
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(cfg_options or {})
    with DefaultScope.overwrite_default_scope('cclslr'):
        dataset = DATASETS.build(dict(cfg.test_dataloader.dataset, pipeline=[]))
    model = init_recognizer(cfg, checkpoint)
    names = model.dataset_meta.get('classes') or dataset.metainfo['classes']
    rows, seen = [], set()
    for i in range(len(dataset)):  # the first clip of each class, for num_clips different glosses
        info = dataset.get_data_info(i)
        if info['label'] in seen:
            continue
        if len(rows) == num_clips:
            break
        seen.add(info['label'])
        res = inference_recognizer(model, (info['video_path'], info['pose_path']), topk=1)
        rows.append(dict(video=osp.basename(info['video_path']), true=names[info['label']],
                         predicted=res.topk_labels[0], score=float(res.topk_scores[0])))
    width = max(len(r['true']) for r in rows) if rows else 0
    for r in rows:
        mark = 'ok' if r['true'] == r['predicted'] else 'wrong'
        print(f'{r["video"]}: true {r["true"]:<{width}}  predicted {r["predicted"]:<{width}}  '
              f'{r["score"]:.2f}  {mark}')
    return rows
