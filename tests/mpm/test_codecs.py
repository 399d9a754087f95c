import pytest
import torch

from cclslr.mpm import DiffusersVAECodec, FrameDiffCodec, GlowCodec, GlowFlow
from cclslr.mpm.codecs.flow_layers import squeeze2d, unsqueeze2d
from cclslr.registry import CODECS

TINY_VAE = dict(block_out_channels=(8, 16), down_block_types=('DownEncoderBlock2D',) * 2,
                up_block_types=('UpDecoderBlock2D',) * 2, latent_channels=4, norm_num_groups=4,
                layers_per_block=1)


def test_squeeze_roundtrip():
    x = torch.arange(2 * 3 * 4 * 8, dtype=torch.float).view(2, 3, 4, 8)
    y = squeeze2d(x)
    assert y.shape == (2, 12, 2, 4)
    assert torch.equal(unsqueeze2d(y), x)


def test_glow_codec_shapes_and_invertibility():
    codec = GlowCodec(levels=3, steps=2, hidden=16)
    x = torch.rand(3, 3, 16, 24)
    z = codec.encode(x)
    assert z.shape == (3, 3 * 4 ** 3, 2, 3)
    assert torch.allclose(codec.decode(z), x, atol=1e-4)


def test_glow_invertible_with_trained_like_weights():
    # Zero-initialised couplings are the identity; perturb every weight so the test covers real maps.
    torch.manual_seed(0)
    flow = GlowFlow(levels=2, steps=3, hidden=8).eval()
    with torch.no_grad():
        for p in flow.parameters():
            p.add_(0.1 * torch.randn_like(p))
        x = torch.rand(2, 3, 8, 8) - 0.5
        z, logdet = flow(x)
        assert logdet.shape == (2,) and torch.isfinite(logdet).all()
        assert (flow.inverse(z) - x).abs().max() < 1e-4
        assert not torch.allclose(z[:, :12].flatten(), squeeze2d(x, 4).flatten()[:z[:, :12].numel()])


def test_glow_logdet_matches_jacobian():
    torch.manual_seed(0)
    flow = GlowFlow(levels=1, steps=1, hidden=4).double().eval()
    with torch.no_grad():
        for p in flow.parameters():
            p.add_(0.2 * torch.randn_like(p))
    x = torch.rand(1, 3, 2, 2, dtype=torch.double)
    jac = torch.autograd.functional.jacobian(lambda v: flow(v.view(1, 3, 2, 2))[0].flatten(), x.flatten())
    _, logdet = flow(x)
    assert torch.allclose(logdet[0], torch.linalg.slogdet(jac)[1], atol=1e-6)


def test_glow_codec_errors():
    codec = GlowCodec(levels=2, steps=1, hidden=4)
    with pytest.raises(ValueError, match='multiple of 4'):
        codec.encode(torch.rand(1, 3, 10, 8))
    with pytest.raises(ValueError, match='NaN'):
        codec.encode(torch.full((1, 3, 8, 8), float('nan')))
    with pytest.raises(FileNotFoundError, match='train_flow'):
        GlowCodec(checkpoint='/nonexistent/flow.pth')


def test_untrained_glow_is_seeded():
    a, b = GlowCodec(levels=2, steps=1, hidden=4, seed=3), GlowCodec(levels=2, steps=1, hidden=4, seed=3)
    x = torch.rand(2, 3, 8, 8)
    assert torch.equal(a.encode(x), b.encode(x))


def test_frame_diff_codec_is_identity():
    codec = CODECS.build(dict(type='FrameDiffCodec'))
    assert isinstance(codec, FrameDiffCodec)
    x = torch.rand(2, 3, 5, 7)
    assert torch.equal(codec.decode(codec.encode(x)), x)
    assert torch.allclose(codec.encode(x), x - 0.5)


def test_vae_codec_from_config_and_presets():
    codec = CODECS.build(dict(type='DiffusersVAECodec', vae_cfg=TINY_VAE, preset='sd3'))
    assert (codec.scaling_factor, codec.shift_factor) == (1.5305, 0.0609)
    x = torch.rand(2, 3, 16, 16)
    z = codec.encode(x)
    assert z.shape == (2, 4, 8, 8)  # two blocks: x2 downsampling
    raw = codec.vae.encode(x * 2 - 1).latent_dist.mode()
    assert torch.allclose(z, (raw - 0.0609) * 1.5305, atol=1e-6)
    assert codec.decode(z).shape == (2, 3, 16, 16)
    flux = DiffusersVAECodec(vae_cfg=TINY_VAE, preset='flux')
    assert (flux.scaling_factor, flux.shift_factor) == (0.3611, 0.1159)
    # Frames are resized to a multiple of 8 internally.
    assert codec.encode(torch.rand(1, 3, 13, 21)).shape == (1, 4, 8, 12)
    with pytest.raises(KeyError, match='preset'):
        DiffusersVAECodec(vae_cfg=TINY_VAE, preset='sdxl')


def test_vae_codec_from_local_pretrained(tmp_path):
    src = DiffusersVAECodec(vae_cfg=dict(TINY_VAE, scaling_factor=0.5, shift_factor=0.25), seed=1)
    src.vae.save_pretrained(tmp_path / 'vae')
    loaded = DiffusersVAECodec(pretrained=str(tmp_path), subfolder='vae')
    assert (loaded.scaling_factor, loaded.shift_factor) == (0.5, 0.25)  # read from the VAE's config
    x = torch.rand(1, 3, 16, 16)
    assert torch.allclose(loaded.encode(x), src.encode(x), atol=1e-6)
    with pytest.raises(FileNotFoundError, match='config.json'):
        DiffusersVAECodec(pretrained=str(tmp_path / 'missing'))
