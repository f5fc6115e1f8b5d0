"""DRS samples into a folder of shards with a manifest: sharded over processes, atomic, resumable.

:func:`sample_to_folder` runs the sampling phase of DRS (Figure 1, right; eq. 8) over numbered
batches (:mod:`drs_lib.api.distributed`: the same samples for a seed whatever the number of
``torchrun`` processes) and writes the first ``n`` accepted samples, in batch order, as
``shard_00000.pt``, ``shard_00001.pt``, ... of ``shard_size`` samples each (the last may be
shorter), plus ``manifest.json``: the request (seed, options, D̃_M of BurnIn), the shards done,
and where the next shard starts. Rank 0 writes; every file is written atomically
(:func:`drs_lib.io.atomic_write_bytes`), a shard before the manifest that lists it, so an
interruption at any point leaves only whole files, and a shard not yet in the manifest is simply
written again.

Run the same request on the same folder again and it continues after the last shard in the
manifest: the manifest records, for that point, the first batch not fully written, how many of
its accepted samples were, and the running D̃_M, proposal and acceptance counts before it, so
the resumed run recomputes that batch exactly and ends with the files an uninterrupted run
writes (the world size may differ between the two runs). A folder holding another request, or
calibrated to another D̃_M (another model, device or BurnIn), is refused with the differences.

:func:`read_folder` reads the shards back as one :class:`drs_lib.api.Batch`.
"""

from __future__ import annotations

import io
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

import drs_lib
from drs_lib.api import distributed
from drs_lib.api import DRS, Batch
from drs_lib.api.results import _DEFAULT
from drs_lib.checks import check_int, check_percentile
from drs_lib.samplers import drs
from drs_lib.io import atomic_write_bytes, atomic_write_text

__all__ = ["sample_to_folder", "read_folder", "read_manifest", "Progress", "FolderResult", "MANIFEST", "FORMAT_VERSION"]

MANIFEST = "manifest.json"
FORMAT = "drs_lib.shards"  # a file format name written into manifests, not the module path: unchanged by the move
#: Version of the folder layout; a folder of another version is refused.
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Progress:
    """Where a run stands, after each round of batches (passed to ``progress`` on rank 0)."""

    accepted: int  #: accepted so far (at most n), in batch order
    n: int
    proposals: int  #: proposals of the batches judged so far (this run and the resumed part)
    acceptance: float  #: accepted / proposals over those batches
    proposals_per_second: float  #: over this process's run so far, all ranks together
    eta_seconds: float  #: at the current rate of acceptances (inf before the first)
    shards: int  #: shards written so far


@dataclass(frozen=True)
class FolderResult:
    """What :func:`sample_to_folder` left in the folder."""

    out: Path
    complete: bool  #: all n samples written (False after ``max_shards``)
    shards: int
    samples: int  #: samples written, in all shards
    proposals: int  #: proposals of the batches up to the last written sample's (the same for any world size)
    accepted: int  #: accepted proposals in those batches (can exceed ``samples``)
    acceptance_rate: float
    d_max_initial: float  #: D̃_M of BurnIn
    d_max_final: float  #: running D̃_M after those batches
    max_updates: int  #: batches that raised D̃_M
    resumed_shards: int  #: shards already in the folder when this call started


def shard_name(index: int) -> str:
    return f"shard_{index:05d}.pt"


def read_manifest(out: str | Path) -> dict[str, Any]:
    """The manifest of a shard folder (``ValueError`` if there is none, or it is not one of ours)."""
    path = Path(out) / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise ValueError(f"{out} holds no {MANIFEST}: not a folder written by drs_lib.api.shards") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError(f"{path} is not a drs_lib.api.shards manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path} has format version {manifest.get('format_version')}; this drs_lib reads {FORMAT_VERSION}")
    return manifest


def read_folder(out: str | Path, *, allow_incomplete: bool = False) -> Batch:
    """The samples of a shard folder, concatenated in order: ``Batch(x, y, logits)`` on the CPU."""
    manifest = read_manifest(out)
    if not manifest["complete"] and not allow_incomplete:
        raise ValueError(f"{out}: the run is not finished ({len(manifest['shards'])} shards written); run the same "
                         "command again to complete it, or pass allow_incomplete=True")
    if not manifest["shards"]:
        raise ValueError(f"{out}: no shard written yet")
    parts = [torch.load(Path(out) / s["file"], map_location="cpu", weights_only=True) for s in manifest["shards"]]
    y = None if parts[0]["y"] is None else torch.cat([p["y"] for p in parts])
    return Batch(torch.cat([p["x"] for p in parts]), y, torch.cat([p["logits"] for p in parts]))


def _request(sampler: DRS, n: int, seed: int, shard_size: int, batch_size: int, percentile: float | None,
             note: dict[str, Any] | None) -> dict[str, Any]:
    calibration = sampler.calibration
    return {
        "n": n, "seed": seed, "shard_size": shard_size, "batch_size": batch_size, "gamma_percentile": percentile,
        "epsilon": sampler.epsilon, "update_max": sampler.update_max, "d_max_mode": sampler.d_max_mode,
        "n_classes": sampler.n_classes,
        "class_probs": None if sampler.class_probs is None else sampler.class_probs.cpu().tolist(),
        "sample_shape": list(sampler.sample_shape), "device_type": sampler.device.type,
        "d_max": calibration.d_max,
        "d_max_per_class": None if calibration.d_max_per_class is None else list(calibration.d_max_per_class),
        "n_burn_in": calibration.n_burn_in, "burn_in_seed": calibration.seed,
        "note": note,
    }


def _start_state(d_max: float) -> dict[str, Any]:
    return {"next_batch": 0, "skip": 0, "d_max_before": d_max, "proposals_before": 0, "accepted_before": 0,
            "max_updates_before": 0}


def _open(out: Path, request: dict[str, Any], d_max_start: float) -> dict[str, Any]:
    """Rank 0: the manifest to continue from (written now for a fresh folder), or ValueError saying why not."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"out {str(out)!r} is a file; give a folder (created if missing)")
    if (out / MANIFEST).exists():
        manifest = read_manifest(out)
        # JSON round-trips Python floats exactly, so equal requests compare equal
        stored = manifest["request"]
        differences = [f"{k}: {stored.get(k)!r} in the folder, {v!r} now" for k, v in request.items() if stored.get(k) != v]
        if differences:
            raise ValueError(f"{out} holds a run with other settings ({'; '.join(differences)}); use another folder, "
                             "or remove this one to start again")
        for record in manifest["shards"]:
            if not (out / record["file"]).is_file():
                raise ValueError(f"{out}: {record['file']} is listed in {MANIFEST} but missing; remove the folder to start again")
        return manifest
    if out.is_dir() and any(not p.name.startswith(".") for p in out.iterdir()):
        raise ValueError(f"out folder {str(out)!r} is not empty and holds no {MANIFEST}; give an empty or new folder")
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "library_version": drs_lib.__version__,
                "request": request, "start": _start_state(d_max_start), "shards": [], "complete": False, "result": None}
    atomic_write_text(out / MANIFEST, json.dumps(manifest, indent=1))
    return manifest


def _result(out: Path, manifest: dict[str, Any], resumed: int, d_max_initial: float) -> FolderResult:
    r = manifest["result"]
    if r is None:  # stopped early: counts up to the resume point
        state = manifest["shards"][-1] if manifest["shards"] else manifest["start"]
        r = {"proposals": state["proposals_before"], "accepted": state["accepted_before"],
             "d_max_final": state["d_max_before"], "max_updates": state["max_updates_before"]}
    samples = sum(s["samples"] for s in manifest["shards"])
    rate = r["accepted"] / r["proposals"] if r["proposals"] else math.nan
    return FolderResult(out, bool(manifest["complete"]), len(manifest["shards"]), samples, r["proposals"], r["accepted"],
                        rate, d_max_initial, r["d_max_final"], r["max_updates"], resumed)


@torch.no_grad()
def sample_to_folder(sampler: DRS, n: int, out: str | Path, *, seed: int = 0, shard_size: int = 10_000,
                     gamma_percentile: float | None = _DEFAULT, batch_size: int | None = None,
                     max_proposals: int | None = None, max_shards: int | None = None,
                     progress: Callable[[Progress], None] | None = None, note: dict[str, Any] | None = None) -> FolderResult:
    """Write ``n`` DRS samples of ``sampler`` to the folder ``out`` (shards + manifest), or continue a run there.

    Call it on every rank of a ``torchrun`` job (or in one process): ranks take numbered batches
    of ``batch_size`` proposals in turn, rank 0 gathers the accepted ones in batch order and
    writes them. The sampler must be calibrated; for the same samples whatever the number of
    processes, calibrate with numbered batches (``sampler.calibrate(..., numbered=True)``, the
    default under a process group of several processes). Labels: unconditional models, or
    conditional ones with a label drawn per proposal from ``class_probs``.

    ``max_proposals`` stops with ``RuntimeError`` once the batches judged hold that many
    proposals (shards written so far stay, and a rerun continues); ``max_shards`` writes at most
    that many new shards, then returns (``complete=False``): run the same call again to go on.
    ``progress`` is called on rank 0 after each round. ``note``: JSON-able data stored in the
    manifest's request (e.g. the model's name) and compared on resume.
    """
    check_int("n", n, 1)
    check_int("seed", seed, 0)
    check_int("shard_size", shard_size, 1)
    batch_size = check_int("batch_size", batch_size if batch_size is not None else sampler.batch_size, 1)
    percentile = sampler.gamma_percentile if gamma_percentile is _DEFAULT else gamma_percentile
    if percentile is not None:
        percentile = check_percentile("gamma_percentile", percentile)
    if max_proposals is not None:
        check_int("max_proposals", max_proposals, 1)
    if max_shards is not None:
        check_int("max_shards", max_shards, 1)
    try:
        json.dumps(note)
    except TypeError as error:
        raise ValueError(f"note must be JSON-able data; got {note!r} ({error})") from None
    calibration = sampler._require_calibration()
    out = Path(out)
    where = distributed.world(device=sampler.device)
    per_class = torch.tensor(calibration.d_max_per_class, dtype=torch.float64, device=sampler.device) \
        if sampler.d_max_mode == "per_class" else None
    d_max_start = 0.0 if per_class is not None else calibration.d_max  # per-class: logits − D̃_M[y] against 0
    request = _request(sampler, n, seed, shard_size, batch_size, percentile, note)

    opened: Any
    if where.is_root:
        try:
            opened = _open(out, request, d_max_start)
        except ValueError as error:
            opened = str(error)
    else:
        opened = None
    opened = distributed.broadcast_object(opened, where)  # every rank resumes from rank 0's reading of the folder
    if isinstance(opened, str):
        raise ValueError(opened)
    manifest: dict[str, Any] = opened
    resumed = len(manifest["shards"])
    if manifest["complete"]:
        return _result(out, manifest, resumed, calibration.d_max)

    state = manifest["shards"][-1] if manifest["shards"] else manifest["start"]
    written = sum(s["samples"] for s in manifest["shards"])
    proposals, accepted, updates = state["proposals_before"], state["accepted_before"], state["max_updates_before"]
    segments: list[dict[str, Any]] = []  # accepted rows not yet in a shard, in batch order (rows on rank 0 only)
    buffered = new_shards = 0
    started, proposals_at_start = time.perf_counter(), proposals
    batches = distributed.numbered_batches(
        sampler._proposer(None), sampler._scorer(per_class), d_max=state["d_max_before"], seed=seed, device=sampler.device,
        where=where, gamma_percentile=percentile, epsilon=sampler.epsilon, batch_size=batch_size,
        update_max=sampler.update_max, start=state["next_batch"])

    for round_ in batches:
        for batch in round_:
            skip = state["skip"] if batch.index == state["next_batch"] else 0
            segment = {"next_batch": batch.index, "skip": skip, "d_max_before": batch.d_max_before,
                       "proposals_before": proposals, "accepted_before": accepted, "max_updates_before": updates,
                       "count": batch.accepted - skip, "rows": None}
            if batch.proposals is not None and segment["count"] > 0:
                x, y = batch.proposals if isinstance(batch.proposals, tuple) else (batch.proposals, None)
                logits = batch.logits if per_class is None else batch.logits + per_class[y]
                segment["rows"] = (x[skip:], None if y is None else y[skip:], logits[skip:].to(sampler._logit_dtype))
            proposals += batch.size
            accepted += batch.accepted
            updates += int(batch.d_max > batch.d_max_before)
            if segment["count"] > 0:
                segments.append(segment)
                buffered += segment["count"]
            while buffered > 0 and buffered >= min(shard_size, n - written):
                size = min(shard_size, n - written)
                rows = _cut(segments, size)
                written += size
                buffered -= size
                following = segments[0] if segments else {
                    "next_batch": batch.index + 1, "skip": 0, "d_max_before": batch.d_max, "proposals_before": proposals,
                    "accepted_before": accepted, "max_updates_before": updates}
                record = {"file": shard_name(len(manifest["shards"])), "samples": size,
                          **{k: following[k] for k in _start_state(0.0)}}
                manifest["shards"].append(record)
                new_shards += 1
                if written == n:
                    manifest["complete"] = True
                    manifest["result"] = {"proposals": proposals, "accepted": accepted, "d_max_final": batch.d_max,
                                          "max_updates": updates}
                if where.is_root:
                    _write_shard(out / record["file"], rows)
                    atomic_write_text(out / MANIFEST, json.dumps(manifest, indent=1))  # after the shard it lists
                if manifest["complete"] or (max_shards is not None and new_shards >= max_shards):
                    return _result(out, manifest, resumed, calibration.d_max)
        if progress is not None and where.is_root:
            elapsed = time.perf_counter() - started
            done = written + buffered
            rate = done / elapsed if elapsed > 0 else 0.0
            progress(Progress(min(done, n), n, proposals, accepted / proposals, (proposals - proposals_at_start) / max(elapsed, 1e-9),
                              (n - done) / rate if rate > 0 else math.inf, len(manifest["shards"])))
        if max_proposals is not None and proposals >= max_proposals:
            raise RuntimeError(
                f"only {written + buffered} of {n} samples accepted after {proposals:,} proposals (max_proposals="
                f"{max_proposals:,}); the acceptance rate is too low for this request. The {len(manifest['shards'])} "
                "shards written stay: lower gamma_percentile, or raise max_proposals and run again to continue")
    raise AssertionError("numbered_batches is endless")  # pragma: no cover


def _cut(segments: list[dict[str, Any]], size: int) -> tuple[Tensor, Tensor | None, Tensor] | None:
    """Take the first ``size`` buffered rows off ``segments`` (their counts and rows), in order."""
    taken = []
    while size > 0:
        head = segments[0]
        k = min(size, head["count"])
        if head["rows"] is not None:
            taken.append(tuple(None if part is None else part[:k] for part in head["rows"]))
            head["rows"] = tuple(None if part is None else part[k:] for part in head["rows"])
        head["count"] -= k
        head["skip"] += k
        size -= k
        if head["count"] == 0:
            segments.pop(0)
    if not taken:
        return None
    x = torch.cat([t[0] for t in taken])
    y = None if taken[0][1] is None else torch.cat([t[1] for t in taken])
    return x, y, torch.cat([t[2] for t in taken])


def _write_shard(path: Path, rows: tuple[Tensor, Tensor | None, Tensor]) -> None:
    x, y, logits = rows
    buffer = io.BytesIO()
    torch.save({"x": x.detach().cpu().contiguous(), "y": None if y is None else y.cpu().contiguous(),
                "logits": logits.cpu().contiguous()}, buffer)
    atomic_write_bytes(path, buffer.getvalue())
