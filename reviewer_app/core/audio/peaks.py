"""Min/max peak pyramid of one channel, so a waveform of any length draws in constant time.

Level 0 holds the min and max of every `BASE_BLOCK` samples; each next level
merges `FACTOR` blocks of the one below. `PeakPyramid.envelope(t0, t1, pixels)`
picks the coarsest level that still gives about two blocks per pixel and
slices it; views zoomed in closer than level 0 reduce the raw samples of the
window on the fly (at most a few hundred thousand of them), and very close
views return the samples themselves. Nothing here reads more than the window.
"""
from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

BASE_BLOCK = 1024  # samples per level-0 block: numpy reduces rows this long ~3x faster than 256
FACTOR = 2  # blocks merged per level: 2 to 4 blocks per pixel at any zoom
BLOCKS_PER_PIXEL = 2.0
MIN_TOP_BLOCKS = 512  # stop building levels once a level has fewer blocks than this
CHUNKS = 8  # level 0 is reduced in this many pieces per channel (in parallel with a pool)


@dataclass(frozen=True, eq=False)
class Envelope:
    """What to draw for one window: block times and the min/max of each block.

    `times` are the block starts in seconds; `block_s` is the block length
    (0 when `mins` and `maxs` are the samples themselves).
    """

    times: np.ndarray
    mins: np.ndarray
    maxs: np.ndarray
    block_s: float
    level: int  # -1: computed from raw samples; >= 0: pyramid level

    def __len__(self) -> int:
        return int(self.times.size)


class PeakPyramid:
    def __init__(self, samples: np.ndarray, sample_rate: int, levels: list[tuple[np.ndarray, np.ndarray]]):
        self.samples = samples
        self.sample_rate = int(sample_rate)
        self.levels = levels  # [(mins, maxs)] per level, level 0 finest

    @classmethod
    def build(cls, samples: np.ndarray, sample_rate: int, pool: ThreadPoolExecutor | None = None) -> "PeakPyramid":
        """Pyramid of a 1-D float array (kept by reference, not copied).

        With `pool`, level 0 is reduced in chunks on its threads (numpy drops
        the GIL while it reduces), which is most of the work.
        """
        x = np.asarray(samples)
        if x.ndim != 1:
            raise ValueError(f"PeakPyramid needs one channel, got shape {x.shape}")
        n_blocks = -(-x.size // BASE_BLOCK)
        step = max(1, -(-n_blocks // CHUNKS)) * BASE_BLOCK
        parts = [x[a:a + step] for a in range(0, x.size, step)] or [x]
        reduced = list(pool.map(_reduce_blocks, parts)) if pool is not None and len(parts) > 1 \
            else [_reduce_blocks(part) for part in parts]
        mins = np.concatenate([m for m, _ in reduced])
        maxs = np.concatenate([m for _, m in reduced])
        levels: list[tuple[np.ndarray, np.ndarray]] = [(mins, maxs)]
        while levels[-1][0].size >= MIN_TOP_BLOCKS * FACTOR:
            levels.append(_merge(*levels[-1]))
        return cls(x, sample_rate, levels)

    @property
    def n_samples(self) -> int:
        return int(self.samples.size)

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.sample_rate

    def block_samples(self, level: int) -> int:
        return BASE_BLOCK * FACTOR**level

    def nbytes(self) -> int:
        return sum(a.nbytes + b.nbytes for a, b in self.levels)

    def pick_level(self, samples_per_pixel: float) -> int:
        """Coarsest level with at least BLOCKS_PER_PIXEL blocks per pixel; -1 for raw samples."""
        want = samples_per_pixel / BLOCKS_PER_PIXEL
        if want < BASE_BLOCK:
            return -1
        level = int(math.floor(math.log(want / BASE_BLOCK, FACTOR) + 1e-9))
        return max(0, min(level, len(self.levels) - 1))

    def envelope(self, t0: float, t1: float, pixels: int) -> Envelope:
        """Min/max blocks covering [t0, t1] for a plot `pixels` wide (clipped to the audio)."""
        sr = self.sample_rate
        pixels = max(1, int(pixels))
        s0 = max(0, int(math.floor(t0 * sr)))
        s1 = min(self.n_samples, int(math.ceil(t1 * sr)))
        if s1 <= s0:
            empty = np.zeros(0, np.float32)
            return Envelope(np.zeros(0), empty, empty, 0.0, -1)
        spp = (t1 - t0) * sr / pixels
        level = self.pick_level(spp)
        if level >= 0:
            block = self.block_samples(level)
            b0, b1 = s0 // block, -(-s1 // block)
            mins, maxs = self.levels[level]
            b1 = min(b1, mins.size)
            times = np.arange(b0, b1) * (block / sr)
            return Envelope(times, mins[b0:b1], maxs[b0:b1], block / sr, level)
        block = max(1, int(spp // BLOCKS_PER_PIXEL))
        if block == 1:
            seg = self.samples[s0:s1]
            return Envelope(np.arange(s0, s1) / sr, seg, seg, 0.0, -1)
        s0 = s0 // block * block
        seg = self.samples[s0:s1]
        full = seg.size // block * block
        body = seg[:full].reshape(-1, block)
        mins, maxs = body.min(axis=1), body.max(axis=1)
        if full < seg.size:
            mins, maxs = np.append(mins, seg[full:].min()), np.append(maxs, seg[full:].max())
        times = (s0 + np.arange(mins.size) * block) / sr
        return Envelope(times, mins, maxs, block / sr, -1)


def build_pyramids(samples: np.ndarray, sample_rate: int) -> list[PeakPyramid]:
    """One pyramid per row of (channels, n) samples, reduced in parallel chunks."""
    workers = max(1, min(8, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="peaks") as pool:
        return [PeakPyramid.build(samples[i], sample_rate, pool) for i in range(samples.shape[0])]


def _reduce_blocks(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Min and max of every BASE_BLOCK samples of x (the last block may be short)."""
    full = x.size // BASE_BLOCK * BASE_BLOCK
    body = x[:full].reshape(-1, BASE_BLOCK)
    mins, maxs = body.min(axis=1), body.max(axis=1)
    if full < x.size:
        mins, maxs = np.append(mins, x[full:].min()), np.append(maxs, x[full:].max())
    return mins.astype(np.float32, copy=False), maxs.astype(np.float32, copy=False)


def _merge(mins: np.ndarray, maxs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = mins.size
    full = n // FACTOR * FACTOR
    out_min = mins[:full].reshape(-1, FACTOR).min(axis=1)
    out_max = maxs[:full].reshape(-1, FACTOR).max(axis=1)
    if full < n:
        out_min = np.append(out_min, mins[full:].min())
        out_max = np.append(out_max, maxs[full:].max())
    return out_min, out_max


def pixel_columns(env: Envelope, t0: float, t1: float, pixels: int) -> Envelope:
    """Merge the 2-4 blocks per pixel of `env` into exactly one min/max per pixel column.

    What a screen can show, and far cheaper to rasterise than every block.
    Windows with fewer samples than pixels are returned as they are.
    """
    pixels = max(1, int(pixels))
    if len(env) <= pixels or t1 <= t0:
        return env
    edges = t0 + np.arange(pixels) * ((t1 - t0) / pixels)
    starts = np.searchsorted(env.times, edges, side="left")
    starts[0] = 0  # the block the window starts inside belongs to the first column
    keep = np.flatnonzero(np.diff(np.append(starts, len(env))) > 0)  # columns holding a block
    idx = starts[keep]
    mins = np.minimum.reduceat(env.mins, idx)
    maxs = np.maximum.reduceat(env.maxs, idx)
    return Envelope(edges[keep], mins, maxs, (t1 - t0) / pixels, env.level)


def envelope_polygon(env: Envelope) -> np.ndarray:
    """(k, 2) vertices of the filled envelope: the max edge forward, the min edge back.

    Each block contributes its start and end point so steps stay honest when
    zoomed in; raw samples (block_s == 0) give a closed outline of the line.
    """
    if len(env) == 0:
        return np.zeros((0, 2))
    if env.block_s > 0:
        t = np.repeat(env.times, 2)
        t[1::2] += env.block_s
        hi, lo = np.repeat(env.maxs, 2), np.repeat(env.mins, 2)
    else:
        t, hi, lo = env.times, env.maxs, env.mins
    xs = np.concatenate([t, t[::-1]])
    ys = np.concatenate([hi, lo[::-1]])
    return np.column_stack([xs, ys])
