"""DRS's persistence: :meth:`save` writes D̃_M, the calibration, the γ rule and the fine-tuning
(the file format is ``SAVE_FORMAT``, unchanged by the split of ``drs_lib/api.py`` into this
package); :meth:`load` rebuilds the sampler around the same generator and discriminator.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

import drs_lib
from drs_lib.api.results import SAVE_FORMAT, LatentSampler, ModelMismatchError, Calibration, FineTuneReport
from drs_lib.io import atomic_write_bytes
from drs_lib.nets.heads import BCEHead, ConditionalBCEHead, feature_extractor


class Persistence:
    """DRS's file: ``save`` writes what calibration and fine-tuning made, ``load`` rebuilds the sampler."""

    # persistence ---------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write D̃_M and the calibration, the γ rule, the fine-tuning (head or KeepTrained D) and the format version.

        The generator and the discriminator given to the constructor are not saved: pass them
        to :meth:`load` again. Written atomically (nothing half-written survives an interrupt).
        """
        if self.latent_shape is None:
            latent: Any = None
        else:
            latent = list(self.latent_shape)
        fine: dict[str, Any] | None = None
        if self.fine_tuning is not None:
            fine = {"method": self.fine_tuning.method, "details": _plain_details(self.fine_tuning.details),
                    "seconds": self.fine_tuning.seconds}
            if self.fine_tuning.method == "keep_training":
                fine["discriminator"] = {k: v.detach().cpu() for k, v in self.discriminator.state_dict().items()}
            else:
                fine["head"] = {k: v.detach().cpu() for k, v in self._head.state_dict().items()}
                fine["feature_dim"] = int(self._head.linear.in_features)
                fine["features"] = self._features if isinstance(self._features, str) or self._features is None else "<callable>"
        payload = {
            "format": "drs_lib.api.DRS", "format_version": SAVE_FORMAT, "library_version": drs_lib.__version__,
            "latent": latent, "n_classes": self.n_classes,
            "class_probs": None if self.class_probs is None else self.class_probs.cpu(),
            "d_max_mode": self.d_max_mode, "gamma_percentile": self.gamma_percentile, "epsilon": self.epsilon,
            "update_max": self.update_max, "batch_size": self.batch_size, "sample_shape": list(self.sample_shape),
            "calibration": None if self.calibration is None else self.calibration.to_payload(),
            "fine_tuning": fine,
        }
        buffer = io.BytesIO()
        torch.save(payload, buffer)
        return atomic_write_bytes(path, buffer.getvalue())

    @classmethod
    def load(cls, path: str | Path, generator: nn.Module, discriminator: nn.Module, *,
             latent: Sequence[int] | int | LatentSampler | None = None, features: Callable[..., Tensor] | None = None,
             device: str | torch.device | None = "auto") -> DRS:
        """Rebuild a sampler saved by :meth:`save` around the same generator and discriminator.

        ``latent`` is needed only if the saved sampler used a latent callable (callables are
        not saved), and ``features`` only if its BCE head read features through a callable.
        """
        payload = torch.load(Path(path), map_location="cpu", weights_only=True)
        if not isinstance(payload, dict) or payload.get("format") != "drs_lib.api.DRS":
            raise ValueError(f"{path} is not a file written by DRS.save")
        if payload.get("format_version") != SAVE_FORMAT:
            raise ValueError(f"{path} has format version {payload.get('format_version')}; this drs_lib "
                             f"({drs_lib.__version__}) reads version {SAVE_FORMAT}")
        if latent is None:
            if payload["latent"] is None:
                raise ValueError(f"{path} was saved with a latent callable, which is not stored: pass latent=")
            latent = tuple(payload["latent"])
        sampler = cls(generator, discriminator, latent, n_classes=payload["n_classes"], class_probs=payload["class_probs"],
                      d_max_mode=payload["d_max_mode"], gamma_percentile=payload["gamma_percentile"],
                      epsilon=payload["epsilon"], update_max=payload["update_max"], batch_size=payload["batch_size"],
                      device=device)
        if list(sampler.sample_shape) != payload["sample_shape"]:
            raise ModelMismatchError(f"the generator produces samples of shape {sampler.sample_shape}; the saved sampler's "
                                     f"produced {tuple(payload['sample_shape'])}")
        fine = payload["fine_tuning"]
        if fine is not None:
            if fine["method"] == "keep_training":
                trained = copy.deepcopy(sampler._base_discriminator)
                try:
                    trained.load_state_dict(fine["discriminator"])
                except RuntimeError as error:
                    raise ModelMismatchError(f"the discriminator given does not match the KeepTrained one saved in {path}: {error}") from None
                trained.to(sampler.discriminator_device).eval().requires_grad_(False)
                sampler.discriminator = sampler._critic = trained
                sampler._check_models()
            else:
                spec = fine["features"]
                if spec == "<callable>":
                    if features is None:
                        raise ValueError(f"{path} was saved with a features callable, which is not stored: pass features=")
                    spec = features
                extract = feature_extractor(sampler._base_discriminator, spec, sampler.conditional)
                head = (ConditionalBCEHead(fine["feature_dim"], sampler.n_classes) if sampler.conditional
                        else BCEHead(fine["feature_dim"]))
                head.load_state_dict(fine["head"])
                sampler._install_head(head.to(sampler.discriminator_device).eval().requires_grad_(False), extract, spec)
            sampler.fine_tuning = FineTuneReport(fine["method"], float(fine["seconds"]), dict(fine["details"]))
        if payload["calibration"] is not None:
            stored = dict(payload["calibration"])
            if stored["d_max_per_class"] is not None:
                stored["d_max_per_class"] = tuple(stored["d_max_per_class"])
            sampler.calibration = Calibration(**stored)
        return sampler


def _plain_details(details: dict[str, Any]) -> dict[str, Any]:
    """Details reduced to what ``torch.load(weights_only=True)`` reads back (numbers, strings, lists)."""
    out: dict[str, Any] = {}
    for key, value in details.items():
        if isinstance(value, (bool, int, float, str)) or value is None:
            out[key] = value
        elif isinstance(value, (list, tuple)) and all(isinstance(v, (int, float)) for v in value):
            out[key] = list(value)
    return out
