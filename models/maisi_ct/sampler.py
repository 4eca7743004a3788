"""MAISI's image-from-mask sampling: rectified flow in latent space, then the autoencoder decode.

The loop is MAISI's (`ldm_conditional_sample_one_image`), one image at a time: at each of the
scheduler's timesteps the ControlNet turns (latent, label code, modality) into residuals for the
diffusion UNet, which also sees the voxel spacing; the scheduler steps along the predicted
velocity. One change, exact: the ControlNet's embedding of the label code does not depend on the
timestep, so it is computed once per image instead of once per step.
Output: MAISI's intensity, [0, 1] mapped to [-1000, 1000] HU.

One image at a time, not in batches: on an H200 a batch of 2 or 4 gave a sample other bits than
sampling it alone (cuDNN's kernels depend on the batch size, even in its deterministic mode) and
the GPU is already compute-bound at one image (docs/generators/maisi_ct.md).
"""

from __future__ import annotations

import math
import time
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
import torch
from monai.apps.generation.maisi.networks.autoencoderkl_maisi import MaisiConvolution
from monai.inferers.inferer import SlidingWindowInferer
from torch import nn

from models.base import indexed
from models.maisi_ct.conditioning import encode_labels
from models.maisi_ct.networks import Definitions, scheduler
from models.maisi_ct.sizing import DecodePlan

HU_MIN, HU_MAX = -1000.0, 1000.0


@dataclass(frozen=True)
class Draw:
    """One image to sample: its label map (MAISI axes), spacing (mm, x y z), modality code and
    initial latent noise."""

    label_xyz: np.ndarray
    spacing_xyz: tuple[float, float, float]
    modality: int
    noise: np.ndarray


@dataclass
class Timing:
    steps_s: float = 0.0
    decode_s: float = 0.0


class Sampler:
    """The three networks on one device, loaded once, used for every study a worker makes."""

    def __init__(
        self,
        defs: Definitions,
        nets: dict[str, nn.Module],
        scale_factor: float,
        device: torch.device,
        cache_condition: bool = True,  # False: MAISI's loop as published (for the benchmark's baseline)
    ) -> None:
        self.defs = defs
        self.cache_condition = cache_condition
        self.nets = nets
        self.scale_factor = scale_factor
        self.device = indexed(device)
        self.cuda = self.device.type == "cuda"
        self.dtype = torch.float16 if self.cuda else torch.float32  # MAISI runs in float16 under autocast
        if self.cuda:  # as MAISI's inference does (MONAI's set_determinism): same GPU, same bytes
            torch.backends.cudnn.deterministic = True
            torch.backends.cudnn.benchmark = False

    def latent_shape(self, size_xyz: tuple[int, int, int]) -> tuple[int, int, int, int]:
        stride = self.defs.vae_stride
        return (self.defs.latent_channels, *(n // stride for n in size_xyz))  # type: ignore[return-value]

    def sample(self, draw: Draw, steps: int, plan: DecodePlan, timing: Timing | None = None) -> np.ndarray:
        """HU image (float32, x, y, z) of one draw; `timing` gains its denoising and decode seconds."""
        timing = timing if timing is not None else Timing()
        started = _now(self.device)
        latent = self.denoise(draw, steps)
        timing.steps_s += _now(self.device) - started
        started = _now(self.device)
        image = self.decode(latent, plan)
        timing.decode_s += _now(self.device) - started
        return image

    def denoise(self, draw: Draw, steps: int) -> torch.Tensor:
        """The latent (1, C, X, Y, Z) after `steps` rectified-flow steps from the draw's noise,
        conditioned on its labels."""
        with torch.inference_mode(), self._autocast():
            return self._denoise(draw, steps)

    def decode(self, latents: torch.Tensor, plan: DecodePlan) -> np.ndarray:
        """The latent as an HU image (float32, x, y, z), clipped to MAISI's [-1000, 1000]."""
        with torch.inference_mode(), self._autocast():
            image = self._decode(latents, plan)
        image = torch.clip(image.float(), 0.0, 1.0) * (HU_MAX - HU_MIN) + HU_MIN
        return image[0, 0].numpy()

    def _denoise(self, draw: Draw, steps: int) -> torch.Tensor:
        controlnet, unet = self.nets["controlnet"], self.nets["diffusion_unet"]
        condition = self._condition(draw)
        latents = torch.from_numpy(draw.noise[None]).to(self.device, self.dtype)
        classes = torch.tensor([draw.modality], dtype=torch.long, device=self.device)
        spacing = (torch.tensor([draw.spacing_xyz], dtype=torch.float32) * 1e2).to(self.device, self.dtype)
        flow = scheduler(self.defs)
        flow.set_timesteps(num_inference_steps=steps, input_img_size_numel=math.prod(latents.shape[-3:]))
        timesteps = flow.timesteps
        following = torch.cat((timesteps[1:], torch.tensor([0], dtype=timesteps.dtype)))
        for t, next_t in zip(timesteps, following, strict=True):
            when = torch.full((1,), float(t), device=self.device)
            if self.cache_condition:
                down, mid = control_residuals(controlnet, latents, when, condition, classes)
            else:
                down, mid = controlnet(x=latents, timesteps=when, controlnet_cond=condition, class_labels=classes)
            v = unet(
                x=latents,
                timesteps=when,
                spacing_tensor=spacing,
                class_labels=classes,
                down_block_additional_residuals=down,
                mid_block_additional_residual=mid,
            )
            latents, _ = flow.step(v, t, latents, next_t)
        return latents

    def _condition(self, draw: Draw) -> torch.Tensor:
        """The draw's label code, embedded once (or as MAISI passes it, for the baseline)."""
        code = encode_labels(torch.from_numpy(draw.label_xyz).to(self.device)).to(self.dtype)
        # The code itself is freed: 8 planes of the full image size.
        return self.nets["controlnet"].controlnet_cond_embedding(code) if self.cache_condition else code

    def _decode(self, latents: torch.Tensor, plan: DecodePlan) -> torch.Tensor:
        """Latent -> image in [0, 1]-ish, assembled on the CPU so only windows occupy the GPU."""
        autoencoder = self.nets["autoencoder"]
        for module in autoencoder.modules():
            if isinstance(module, MaisiConvolution):
                module.num_splits = plan.num_splits

        def decode(z: torch.Tensor) -> torch.Tensor:
            return autoencoder.decode_stage_2_outputs(z / self.scale_factor)

        if math.prod(latents.shape[2:]) <= math.prod(plan.roi):
            return decode(latents).cpu()
        roi = [min(r, n) for r, n in zip(plan.roi, latents.shape[2:], strict=True)]
        inferer = SlidingWindowInferer(
            roi_size=roi,
            sw_batch_size=1,
            overlap=plan.overlap,
            mode="gaussian",
            sw_device=self.device,
            device=torch.device("cpu"),
            progress=False,
        )
        return inferer(inputs=latents, network=decode)

    def _autocast(self):
        return torch.autocast("cuda", dtype=torch.float16) if self.cuda else nullcontext()


def control_residuals(
    net: nn.Module, x: torch.Tensor, timesteps: torch.Tensor, condition: torch.Tensor, class_labels: torch.Tensor
) -> tuple[list[torch.Tensor], torch.Tensor]:
    """`ControlNetMaisi.forward` (conditioning scale 1) with the label embedding given, not recomputed."""
    emb = net._prepare_time_and_class_embedding(x, timesteps, class_labels)
    h = net._apply_initial_convolution(x) + condition
    down, h = net._apply_down_blocks(emb, None, h)
    h = net._apply_mid_block(emb, None, h)
    return net._apply_controlnet_blocks(h, down)


def _now(device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter()
