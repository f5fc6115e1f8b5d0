"""Recalibrating a discriminator's logit on held-out real and fake samples.

A discriminator's logit d reads as a log density ratio, d(x) = log p_d(x) / p_g(x), only when
D = sigma(d) is calibrated (DRS eq. 5; MH-GAN, Turner et al. 2019, Sec. 3; DDLS, Che et al.
2020, Theorem 1). Turner et al. recalibrate D on held-out real (label 1) and fake (label 0)
samples with isotonic regression or Platt scaling, sigma(a d + b), and test calibration with
the Z statistic of Dawid (1997). :func:`fit_calibrator` returns a :class:`Calibrator`, a map
raw logit -> calibrated logit usable by every sampler that reads d as a log ratio.

Isotonic regression is a monotone step function (sklearn interpolates linearly between its
block ends): its gradient is zero almost everywhere and unbounded on the ramps, so it cannot
drive Langevin dynamics. Platt scaling is the affine map a d + b, differentiable with a
constant gradient a; :attr:`Calibrator.differentiable` says which one a calibrator is.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from drs_lib._optional import optional_imports

Tensor = torch.Tensor

__all__ = ["Calibrator", "fit_calibrator", "calibration_z_statistic", "CALIBRATION_METHODS"]

CALIBRATION_METHODS = ("isotonic", "logistic")


class Calibrator:
    """A fitted map from raw discriminator logits to calibrated logits (callable on tensors).

    Evaluated in torch on the logits' device: isotonic regression as the piecewise-linear
    interpolation of its fitted thresholds (what sklearn's ``predict`` does, clipped outside
    them), Platt scaling as sigma(a * logit + b). Probabilities are clipped to
    [epsilon, 1 - epsilon], i.e. calibrated logits to +-log((1 - epsilon) / epsilon).

    The logistic map keeps the autograd graph (``a * logit + b``, clipped), so it can sit
    inside a Langevin energy; the isotonic map detaches its input.
    """

    def __init__(self, method: str, model, epsilon: float):
        if method not in CALIBRATION_METHODS:
            raise ValueError(f"method must be one of {CALIBRATION_METHODS}, got {method!r}")
        self.method = method
        self.model = model
        self.epsilon = epsilon
        self._bound = math.log((1.0 - epsilon) / epsilon)
        if method == "isotonic":
            self._x = torch.as_tensor(np.asarray(model.X_thresholds_, dtype=np.float64))
            self._y = torch.as_tensor(np.asarray(model.y_thresholds_, dtype=np.float64))
        else:
            self._a = float(model.coef_.reshape(-1)[0])
            self._b = float(model.intercept_.reshape(-1)[0])

    @property
    def differentiable(self) -> bool:
        """True when the map has a useful gradient (Platt scaling), False for isotonic steps."""
        return self.method == "logistic"

    @property
    def slope(self) -> float:
        """Platt scaling's a (calibrated = a * raw + b); only for the logistic method."""
        if self.method != "logistic":
            raise AttributeError("only a logistic (Platt) calibrator has a slope")
        return self._a

    @property
    def intercept(self) -> float:
        """Platt scaling's b; only for the logistic method."""
        if self.method != "logistic":
            raise AttributeError("only a logistic (Platt) calibrator has an intercept")
        return self._b

    def probability(self, logit: Tensor) -> Tensor:
        """Calibrated P(real | logit), clipped to [epsilon, 1 - epsilon] (no gradient)."""
        raw = logit.detach().reshape(-1).double()
        if self.method == "isotonic":
            xs, ys = self._x.to(raw.device), self._y.to(raw.device)
            if xs.numel() == 1:
                p = ys.expand_as(raw).clone()
            else:
                r = raw.clamp(float(xs[0]), float(xs[-1]))
                i = torch.searchsorted(xs, r, right=True).clamp(1, xs.numel() - 1)
                x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
                w = torch.where(x1 > x0, (r - x0) / (x1 - x0).clamp_min(1e-300), torch.zeros_like(r))
                p = y0 + w * (y1 - y0)
        else:  # logistic
            p = torch.sigmoid(self._a * raw + self._b)
        return p.clamp(self.epsilon, 1.0 - self.epsilon).to(logit.dtype)

    def __call__(self, logit: Tensor) -> Tensor:
        if self.method == "logistic":  # differentiable: a * logit + b, clipped like the probabilities
            return (self._a * logit.reshape(-1) + self._b).clamp(-self._bound, self._bound)
        p = self.probability(logit).double()
        return (torch.log(p) - torch.log1p(-p)).to(logit.dtype)

    def __repr__(self) -> str:
        if self.method == "logistic":
            return f"Calibrator(method='logistic', a={self._a:.4g}, b={self._b:.4g})"
        return f"Calibrator(method={self.method!r})"


def fit_calibrator(
    logits_real: Tensor, logits_fake: Tensor, method: str = "isotonic", epsilon: float = 1e-6
) -> Calibrator:
    """Fit P(real | logit) on held-out real (label 1) and fake (label 0) logits.

    ``method="isotonic"``: monotone non-decreasing step function (sklearn IsotonicRegression,
    clipped out of bounds); ``"logistic"``: Platt scaling, sigma(a * logit + b)
    (sklearn LogisticRegression, no regularisation). Probabilities are clipped to
    [epsilon, 1 - epsilon] so calibrated logits stay finite.
    Use equal numbers of real and fake samples: the log-ratio reading assumes a balanced prior.
    """
    with optional_imports("calibration"):
        from sklearn.isotonic import IsotonicRegression
        from sklearn.linear_model import LogisticRegression

    if method not in CALIBRATION_METHODS:
        raise ValueError(f"method must be 'isotonic' or 'logistic', got {method!r}")
    if not 0.0 < epsilon < 0.5:
        raise ValueError(f"epsilon must be in (0, 0.5), got {epsilon!r}")
    r = logits_real.detach().reshape(-1).cpu().double().numpy()
    f = logits_fake.detach().reshape(-1).cpu().double().numpy()
    if r.size == 0 or f.size == 0:
        raise ValueError(f"need real and fake logits to calibrate; got {r.size} real and {f.size} fake")
    x = np.concatenate([r, f])
    y = np.concatenate([np.ones_like(r), np.zeros_like(f)])
    if method == "isotonic":
        model = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
        model.fit(x, y)
    else:
        model = LogisticRegression(C=np.inf)
        model.fit(x[:, None], y)
    return Calibrator(method, model, epsilon)


def calibration_z_statistic(probabilities: Tensor, labels: Tensor) -> float:
    """Dawid's Z = sum(y - p) / sqrt(sum p (1 - p)); ~N(0, 1) for a calibrated classifier."""
    p = probabilities.detach().reshape(-1).double()
    y = labels.detach().reshape(-1).double().to(p.device)
    return float((y - p).sum() / torch.sqrt((p * (1 - p)).sum()))
