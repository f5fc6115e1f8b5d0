"""The :class:`DRS` class: construction, fine-tuning, calibration, sampling and persistence, each in
its own module of this package, joined here (the methods are those of the parts; the class adds
its documentation and ``repr``).
"""

from __future__ import annotations

from drs_lib.api.calibration import Calibrating
from drs_lib.api.construction import Construction
from drs_lib.api.fine_tuning import FineTuning
from drs_lib.api.persistence import Persistence
from drs_lib.api.results import _gamma_text
from drs_lib.api.sampling import Sampling


class DRS(Construction, FineTuning, Calibrating, Sampling, Persistence):
    """Discriminator Rejection Sampling for a trained generator and discriminator.

    Parameters
    ----------
    generator, discriminator:
        ``torch.nn.Module`` s. ``G(z)`` returns a batch of samples and ``D(x)`` one logit D̃(x)
        per sample, shape (n,) or (n, 1); class-conditional models (``n_classes`` given) are
        called as ``G(z, y)`` and ``D(x, y)`` with ``y`` an int64 tensor of labels. Both are put
        in ``eval()`` mode (BatchNorm and dropout behave as at test time) and never modified;
        fine-tuning works on a copy.
    latent:
        The shape of one latent vector without the batch axis, e.g. ``(128,)`` or DCGAN's
        ``(100, 1, 1)`` (z ~ N(0, I)), or a callable ``latent(n, rng)`` returning n latents on
        ``rng``'s device (for other priors).
    n_classes, class_probs:
        For class-conditional models: the number of classes and the probabilities with which
        labels are drawn when a sample call leaves ``labels=None`` (default uniform).
    d_max_mode:
        ``"global"`` (default): one D̃_M, the largest BurnIn logit over all classes.
        ``"per_class"``: D̃_M[y], the largest BurnIn logit of class y. The paper does not say
        which its class-conditional SAGAN used. Global is the default because (1) with labels
        drawn per proposal only a single bound M = max_y M_y keeps the accepted pairs (x, y)
        distributed as p_d(x, y): the ideal acceptance exp(D̃(x, y) − D̃_M) then removes the
        same fraction 1/M of every class and the class mix stays the one asked for, whereas
        per-class bounds reweight class y by 1/M_y; and (2) BurnIn over the paper's 10,000
        proposals gives each of ImageNet's 1,000 classes only ten, too few for a per-class
        maximum. Per-class bounds are the tighter choice when the labels are fixed in advance
        (``labels="balanced"`` or given): each class is then its own rejection sampler, and
        classes the discriminator rates lower lose fewer proposals; use them with enough
        BurnIn proposals per class.
    gamma_percentile, epsilon, update_max, batch_size:
        The sampler's rule, as in :func:`drs_lib.samplers.drs.drs_sample`: γ at this percentile of F̂
        over each batch (``None``: γ = 0, the idealized scheme; the paper uses 80 for images,
        95 for the toys), ε of eq. 8, whether D̃_M is raised while sampling, and proposals per
        batch. ``gamma_percentile`` can be overridden per call.
    device:
        ``"auto"`` (CUDA when present), ``"cpu"``, ``"cuda"``, ``"cuda:N"``: both models are
        moved there. ``None`` leaves each model where it is (e.g. G on one GPU and D on
        another): latents are drawn and samples returned on the generator's device, and samples
        are moved to the discriminator's device to be scored.

    The pair is checked at once on two latents: a latent G rejects, an output D rejects, or a
    D that returns more than one value per sample raises :class:`ModelMismatchError` saying
    what was expected, before any long work.
    """


    def __repr__(self) -> str:
        kind = f"conditional, {self.n_classes} classes" if self.conditional else "unconditional"
        tuned = self.fine_tuning.method if self.fine_tuning else "not fine-tuned"
        calibrated = f"D̃_M = {self.calibration.d_max:.3f}" if self.calibration else "not calibrated"
        return (f"DRS({kind}; samples {self.sample_shape}; {_gamma_text(self.gamma_percentile)}; {tuned}; {calibrated}; "
                f"device {self.device})")
