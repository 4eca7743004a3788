"""MAISI's networks as its configuration defines them, and the one exact shortcut we take."""

import pytest
import torch

from models.maisi_ct.networks import KINDS, build, definitions, maisi_config
from models.maisi_ct.sampler import control_residuals


def test_maisi_definitions_are_maisis_configuration():
    defs = definitions("maisi")
    config = maisi_config("config_network_rflow")
    assert (
        defs.nets["diffusion_unet"]["num_channels"]
        == config["diffusion_unet_def"]["num_channels"]
        == [64, 128, 256, 512]
    )
    assert defs.nets["controlnet"]["conditioning_embedding_in_channels"] == 8
    assert defs.nets["autoencoder"]["latent_channels"] == config["latent_channels"] == 4  # "@latent_channels" resolved
    assert defs.scheduler["_target_"].endswith("RFlowScheduler") and defs.scheduler["scale"] == 1.4
    assert (defs.vae_stride, defs.size_multiple) == (4, 32)


def test_full_size_networks_have_maisis_parameter_counts():
    """Built on the meta device: shapes only, no memory."""
    defs = definitions("maisi")
    counts = {kind: sum(t.numel() for t in build(defs, kind, "meta").state_dict().values()) for kind in KINDS}
    assert counts == {"autoencoder": 20_944_897, "diffusion_unet": 180_500_868, "controlnet": 72_037_072}


def test_tiny_keeps_the_architecture_and_shrinks_the_width():
    tiny, full = definitions("tiny"), definitions("maisi")
    for kind in KINDS:
        assert len(tiny.nets[kind]["num_channels"]) == len(full.nets[kind]["num_channels"])
        assert tiny.nets[kind]["_target_"] == full.nets[kind]["_target_"]
    assert (tiny.vae_stride, tiny.size_multiple) == (4, 32)


def test_cuda_only_switches_are_off_on_the_cpu():
    net = build(definitions("tiny"), "autoencoder")
    assert not any(getattr(m, "norm_float16", False) for m in net.modules())


def forward_inputs(z: int):
    torch.manual_seed(0)
    latents = torch.randn(1, 4, 16, 16, z // 4)
    code = torch.randint(0, 2, (1, 8, 64, 64, z)).float()
    return latents, code, torch.tensor([640.0]), torch.ones(1, dtype=torch.long)


def test_cached_label_embedding_gives_the_controlnets_own_residuals():
    control = build(definitions("tiny"), "controlnet")
    for p in control.parameters():  # MAISI zero-initialises the output blocks: make them count
        torch.nn.init.normal_(p, std=0.1)
    latents, code, t, modality = forward_inputs(32)
    with torch.no_grad():
        down, mid = control(x=latents, timesteps=t, controlnet_cond=code, class_labels=modality)
        cached = control_residuals(control, latents, t, control.controlnet_cond_embedding(code), modality)
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(down, cached[0], strict=True))
    assert torch.allclose(mid, cached[1], atol=1e-6) and mid.abs().sum() > 0


@pytest.mark.parametrize(("z", "works"), [(32, True), (64, True), (48, False)])
def test_z_must_divide_by_32_or_the_unet_cannot_rejoin_its_skips(z, works):
    """Why the size rule says 32: a latent of 12 halves to 6, 3, then 2, which will not upsample to 3."""
    defs = definitions("tiny")
    control, unet = build(defs, "controlnet"), build(defs, "diffusion_unet")
    latents, code, t, modality = forward_inputs(z)

    def step():
        with torch.no_grad():
            down, mid = control(x=latents, timesteps=t, controlnet_cond=code, class_labels=modality)
            return unet(
                x=latents,
                timesteps=t,
                spacing_tensor=torch.tensor([[150.0, 150.0, 200.0]]),
                class_labels=modality,
                down_block_additional_residuals=down,
                mid_block_additional_residual=mid,
            )

    if works:
        assert step().shape == latents.shape
    else:
        with pytest.raises(RuntimeError, match="Sizes of tensors must match"):
            step()
