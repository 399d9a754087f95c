"""The demo's last stage: test clips of different glosses through inference_recognizer, printed with their
true and predicted glosses."""
import re

from tiny_models import FUSED_CFG, data_options

from cclslr.apis.demo_recognition import recognise_test_clips


def test_recognise_test_clips(tiny_signs, fused_ckpt, capsys):
    rows = recognise_test_clips(FUSED_CFG, fused_ckpt, data_options(tiny_signs), num_clips=3)
    assert len(rows) == 2  # only 2 glosses in the tiny set: one clip each
    assert len({r['true'] for r in rows}) == 2
    out = capsys.readouterr().out.strip().splitlines()
    for r, line in zip(rows, out):
        assert re.fullmatch(rf'{r["video"]}: true {r["true"]}\s+predicted {r["predicted"]}\s+'
                            rf'{r["score"]:.2f}\s+(ok|wrong)', line), line
        assert 0 <= r['score'] <= 1
