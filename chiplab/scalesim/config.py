"""Read SCALE-Sim 3.0.0 ``.cfg`` files the way ``scalesim/scale_config.py: scale_config.read_conf_file`` does.

The file is parsed with the standard library's :mod:`configparser` (SCALE-Sim's parser too), so section names
are case-sensitive, keys are not, ``:`` and ``=`` both work and inline comments are *not* stripped. Numbers go
through ``int()`` exactly as in SCALE-Sim. Keys chiplab needs (SCALE-Sim needs them too)::

    [general]               run_name
    [run_presets]           InterfaceBandwidth            CALC or USER
    [architecture_presets]  ArrayHeight, ArrayWidth        PE rows and columns
                            IfmapSramSzkB, FilterSramSzkB, OfmapSramSzkB   SRAM sizes in KiB (1 word = 1 byte)
                            IfmapOffset, FilterOffset, OfmapOffset         address offsets
                            Dataflow                       ws, os or is
                            Bandwidth                      USER mode only: OFMAP DRAM words/cycle (first value)
    [layout]                IfmapSRAMBankBandwidth,        USER mode only: IFMAP / filter DRAM words per cycle
                            FilterSRAMBankBandwidth        (SCALE-Sim 3.0.0 reads them there, not from Bandwidth)

    [sparsity]              SparsitySupport                true or false (missing: false)
                            SparseRep, OptimizedMapping,   with SparsitySupport = true: csr, csc or
                            RandomNumberGeneratorSeed      ellpack_block; false (layer-wise N:M, see
                            (BlockSize if row-wise)        chiplab.scalesim.sparsity); a whole number

SCALE-Sim 3.0.0 also insists on ReadRequestBuffer, WriteRequestBuffer, UseRamulatorTrace and the ``[layout]``
section (even its own example ``configs/scale.cfg`` lacks ``[layout]`` and ``[sparsity]``, so 3.0.0 cannot read
it). chiplab reads them only to refuse the features it does not model: Ramulator traces (``UseRamulatorTrace =
True``) and row-wise sparsity (``OptimizedMapping = true``) outside weight stationary.
"""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Literal, overload

from chiplab._checks import instance_of, non_negative_int, one_of, positive_int_at_most
from chiplab.errors import ChiplabInputError
from chiplab.scalesim._files import read_input_file
from chiplab.scalesim.sparsity import REPRESENTATIONS, SparsityConfig
from chiplab.systolic.dataflow import Dataflow, parse_dataflow

INTERFACE_BANDWIDTH_MODES = ("CALC", "USER")
MAX_INT = 2**31 - 1  # larger sizes, offsets or bandwidths overflow 64-bit address arithmetic; refuse them early


@dataclass(frozen=True, kw_only=True)
class ScaleSimConfig:
    """The parts of a SCALE-Sim config that decide its reports. SCALE-Sim's word is 1 byte, so SRAM sizes in
    bytes are also sizes in words (single_layer_sim.run: ``word_size = 1``)."""

    path: Path
    run_name: str
    num_rows: int  # ArrayHeight
    num_cols: int  # ArrayWidth
    ifmap_sram_bytes: int  # 1024 * IfmapSramSzkB
    filter_sram_bytes: int
    ofmap_sram_bytes: int
    ifmap_offset: int
    filter_offset: int
    ofmap_offset: int
    dataflow: Dataflow
    interface_bandwidth: str  # "CALC" (SCALE-Sim estimates the DRAM bandwidth) or "USER"
    user_bandwidths_words_per_cycle: tuple[int, ...]  # only in USER mode; the first one drains the OFMAP buffer
    ifmap_dram_words_per_cycle: int | None = None  # USER mode: [layout] IfmapSRAMBankBandwidth (a SCALE-Sim quirk)
    filter_dram_words_per_cycle: int | None = None  # USER mode: [layout] FilterSRAMBankBandwidth
    sparsity: SparsityConfig | None = None  # [sparsity] with SparsitySupport = true; None: every layer runs dense

    def __post_init__(self) -> None:
        # A config built or changed by hand (dataclasses.replace(config, num_rows=256)) gets load_config's bounds.
        def store(field: str, value: object) -> None:
            object.__setattr__(self, field, value)

        store("path", Path(instance_of("path", self.path, (str, PathLike), "the config file's path (a str or "
                                       "os.PathLike)")))
        instance_of("run_name", self.run_name, str, "a directory name for the reports (a str)")
        for field in ("num_rows", "num_cols"):
            store(field, positive_int_at_most(field, getattr(self, field), MAX_INT))
        for field in ("ifmap_sram_bytes", "filter_sram_bytes", "ofmap_sram_bytes"):
            store(field, positive_int_at_most(field, getattr(self, field), 1024 * MAX_INT))
        for field in ("ifmap_offset", "filter_offset", "ofmap_offset"):
            store(field, non_negative_int(field, getattr(self, field)))
            if getattr(self, field) > MAX_INT:
                raise ChiplabInputError(f"{field} must be a whole number between 0 and {MAX_INT:,}; got "
                                        f"{getattr(self, field)}")
        store("dataflow", parse_dataflow(self.dataflow))
        store("interface_bandwidth", one_of("interface_bandwidth", self.interface_bandwidth, ("calc", "user")).upper())
        bandwidths = instance_of("user_bandwidths_words_per_cycle", self.user_bandwidths_words_per_cycle,
                                 (tuple, list), "a tuple of DRAM bandwidths in words per cycle, e.g. (10,)")
        store("user_bandwidths_words_per_cycle",
              tuple(positive_int_at_most("user_bandwidths_words_per_cycle", b, MAX_INT) for b in bandwidths))
        user = self.interface_bandwidth == "USER"
        if user and not self.user_bandwidths_words_per_cycle:
            raise ChiplabInputError("user_bandwidths_words_per_cycle must list at least one bandwidth in USER mode "
                                    "(its first value drains the OFMAP buffer); got none")
        for field in ("ifmap_dram_words_per_cycle", "filter_dram_words_per_cycle"):
            value = getattr(self, field)
            if user or value is not None:  # USER mode reads them; CALC mode leaves them None
                store(field, positive_int_at_most(field, value, MAX_INT))
        if self.sparsity is not None:
            instance_of("sparsity", self.sparsity, SparsityConfig, "a SparsityConfig, or None for dense layers")


def _line_of(text: str, section: str, key: str) -> int | None:
    """1-based line of ``key`` inside ``[section]`` (configparser keeps no line numbers)."""
    current = None
    for number, line in enumerate(text.splitlines(), start=1):
        header = re.match(r"\s*\[([^\]]+)\]", line)
        if header:
            current = header.group(1)
        elif current == section and re.match(rf"\s*{re.escape(key)}\s*[:=]", line, re.IGNORECASE):
            return number
    return None


class _Reader:
    """Looks keys up and turns every problem into a message naming the file, line and key."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text = path, text
        self.parser = configparser.ConfigParser()
        try:
            self.parser.read_string(text, source=str(path))
        except configparser.Error as exc:
            raise ChiplabInputError(f"config file {path} is not a valid SCALE-Sim .cfg file: {exc}") from None

    def where(self, section: str, key: str) -> str:
        line = _line_of(self.text, section, key)
        return f"{self.path}:{line}" if line else str(self.path)

    @overload
    def get(self, section: str, key: str, allowed: str, required: Literal[True] = True) -> str: ...
    @overload
    def get(self, section: str, key: str, allowed: str, required: bool) -> str | None: ...
    def get(self, section: str, key: str, allowed: str, required: bool = True) -> str | None:
        if not self.parser.has_section(section):
            if not required:
                return None
            raise ChiplabInputError(f"{self.path}: missing section [{section}] (needed for key {key}: {allowed})")
        if not self.parser.has_option(section, key):
            if not required:
                return None
            raise ChiplabInputError(f"{self.path}: missing key {key} in section [{section}]; allowed: {allowed}")
        try:
            return self.parser.get(section, key).strip()
        except configparser.Error as exc:
            raise ChiplabInputError(f"{self.where(section, key)}: key {key}: {exc}") from None

    def integer(self, section: str, key: str, minimum: int) -> int:
        allowed = f"a whole number >= {minimum}"
        text = self.get(section, key, allowed)
        try:
            value = int(text)  # scale_config.read_conf_file: int(config.get(section, key))
        except ValueError:
            hint = " (inline comments are not allowed)" if "#" in text or ";" in text else ""
            raise ChiplabInputError(
                f"{self.where(section, key)}: {key} = {text!r} is not an integer{hint}; allowed: {allowed}") from None
        if value < minimum or value > MAX_INT:
            raise ChiplabInputError(f"{self.where(section, key)}: {key} = {value}; allowed: {allowed} and <= "
                                    f"{MAX_INT}")
        return value


def _boolean(cfg: _Reader, section: str, key: str, required: bool = True) -> bool | None:
    # scale_config.read_conf_file: value.lower() == 'true'; anything else (a typo too) silently means false.
    text = cfg.get(section, key, "true or false", required=required)
    if text is None:
        return None
    if text.lower() not in ("true", "false"):
        raise ChiplabInputError(f"{cfg.where(section, key)}: {key} = {text!r}; allowed: true or false (SCALE-Sim "
                                "would silently take anything but 'true' as false)")
    return text.lower() == "true"


def _sparsity(cfg: _Reader, num_rows: int, arch: str = "architecture_presets") -> SparsityConfig | None:
    """The [sparsity] section (scale_config.read_conf_file), or None when SparsitySupport is false or missing."""
    if not _boolean(cfg, "sparsity", "SparsitySupport", required=False):
        return None
    allowed = ", ".join(REPRESENTATIONS)
    representation = cfg.get("sparsity", "SparseRep", allowed)
    if representation not in REPRESENTATIONS:  # compared case-sensitively; SCALE-Sim crashes on anything else
        raise ChiplabInputError(f"{cfg.where('sparsity', 'SparseRep')}: SparseRep = {representation!r}; allowed: "
                                f"{allowed} (lower case)")
    row_wise = bool(_boolean(cfg, "sparsity", "OptimizedMapping"))
    seed = cfg.integer("sparsity", "RandomNumberGeneratorSeed", 0)  # np.random.seed refuses negative seeds
    if not row_wise:
        return SparsityConfig(representation=representation, seed=seed)
    # BlockSize >= 2: np.random.randint(1, B // 2 + 1) fails for B = 1.
    block_size = cfg.integer("sparsity", "BlockSize", 2)
    where = cfg.where("sparsity", "BlockSize")
    if block_size > num_rows:  # scale_config.read_conf_file: assert block_size <= array_rows
        raise ChiplabInputError(f"{where}: BlockSize = {block_size}; allowed: at most ArrayHeight = {num_rows}")
    if 2 * num_rows % block_size:  # skew_matrix_row_sparsity splits 2R columns into blocks: a short one crashes it
        raise ChiplabInputError(f"{where}: BlockSize = {block_size}; allowed: a divisor of 2 x ArrayHeight = "
                                f"{2 * num_rows} (SCALE-Sim 3.0.0 fails on a partial block)")
    dataflow = cfg.get(arch, "Dataflow", "ws, os or is")
    if dataflow != "ws":
        raise ChiplabInputError(
            f"{cfg.where('sparsity', 'OptimizedMapping')}: OptimizedMapping = true (row-wise sparsity) with "
            f"Dataflow = {dataflow} is not reproduced by chiplab (SCALE-Sim 3.0.0's os and is fail an assert on it "
            "unless the window equals BlockSize); allowed: Dataflow = ws, or OptimizedMapping = false")
    return SparsityConfig(representation=representation, row_wise=True, block_size=block_size, seed=seed)


def load_config(path: str | PathLike[str]) -> ScaleSimConfig:
    """Read a SCALE-Sim 3.0.0 config file; raise :class:`ChiplabInputError` naming the file, line and key."""
    path, text = read_input_file("path", path, "config")
    cfg = _Reader(path, text)
    arch = "architecture_presets"

    run_name = cfg.get("general", "run_name", "a directory name for the reports")
    if (not run_name or run_name in (".", "..") or "/" in run_name or "\\" in run_name
            or any(ord(ch) < 32 or ord(ch) == 127 for ch in run_name)):  # NUL, newlines: no directory name
        raise ChiplabInputError(f"{cfg.where('general', 'run_name')}: run_name = {run_name!r}; allowed: a plain "
                                "directory name without /, \\ or control characters such as NUL or a line break "
                                "(SCALE-Sim writes its reports to OUTDIR/run_name/)")

    mode = cfg.get("run_presets", "InterfaceBandwidth", "CALC or USER")
    if mode not in INTERFACE_BANDWIDTH_MODES:
        raise ChiplabInputError(f"{cfg.where('run_presets', 'InterfaceBandwidth')}: InterfaceBandwidth = {mode!r}; "
                                "allowed: CALC or USER (upper case, as SCALE-Sim compares them)")
    if cfg.get("run_presets", "UseRamulatorTrace", "True or False", required=False) == "True":
        raise ChiplabInputError(f"{cfg.where('run_presets', 'UseRamulatorTrace')}: UseRamulatorTrace = True is "
                                "not supported by chiplab; allowed: False")

    dataflow_text = cfg.get(arch, "Dataflow", "ws, os or is")
    if dataflow_text not in [d.value for d in Dataflow]:
        # SCALE-Sim only prints a warning and then runs output stationary: refuse instead.
        raise ChiplabInputError(f"{cfg.where(arch, 'Dataflow')}: Dataflow = {dataflow_text!r}; allowed: ws, os or "
                                "is (lower case; SCALE-Sim 3.0.0 silently runs os for anything else)")

    bandwidths: tuple[int, ...] = ()
    ifmap_bw = filter_bw = None
    if mode == "USER":
        allowed = "comma-separated whole numbers >= 1 (DRAM words per cycle)"
        text = cfg.get(arch, "Bandwidth", allowed)
        try:
            bandwidths = tuple(int(x.strip()) for x in text.split(","))
        except ValueError:
            raise ChiplabInputError(f"{cfg.where(arch, 'Bandwidth')}: Bandwidth = {text!r}; allowed: "
                                    f"{allowed}") from None
        if min(bandwidths) < 1 or max(bandwidths) > MAX_INT:
            raise ChiplabInputError(
                f"{cfg.where(arch, 'Bandwidth')}: Bandwidth = {text!r}; allowed: whole numbers 1 .. {MAX_INT}")
        # single_layer_sim.run, USER mode (a SCALE-Sim quirk): only the OFMAP drain uses Bandwidth (its first
        # value); the IFMAP and filter read buffers fetch from DRAM at the [layout] section's
        # IfmapSRAMBankBandwidth / FilterSRAMBankBandwidth words per cycle.
        ifmap_bw = cfg.integer("layout", "IfmapSRAMBankBandwidth", 1)
        filter_bw = cfg.integer("layout", "FilterSRAMBankBandwidth", 1)
        for operand in ("Ifmap", "Filter"):
            if cfg.get("layout", f"{operand}CustomLayout", "True or False", required=False) == "True":
                raise ChiplabInputError(f"{cfg.where('layout', f'{operand}CustomLayout')}: {operand}CustomLayout "
                                        "= True is not supported by chiplab; allowed: False")
            banks = cfg.get("layout", f"{operand}SRAMBankNum", "a whole number >= 1", required=False)
            if banks is not None and banks.strip() != "1":
                raise ChiplabInputError(f"{cfg.where('layout', f'{operand}SRAMBankNum')}: {operand}SRAMBankNum = "
                                        f"{banks!r} is not supported by chiplab; allowed: 1")

    num_rows = cfg.integer(arch, "ArrayHeight", 1)
    return ScaleSimConfig(
        sparsity=_sparsity(cfg, num_rows),
        path=path,
        run_name=run_name,
        num_rows=num_rows,
        num_cols=cfg.integer(arch, "ArrayWidth", 1),
        ifmap_sram_bytes=1024 * cfg.integer(arch, "IfmapSramSzkB", 1),
        filter_sram_bytes=1024 * cfg.integer(arch, "FilterSramSzkB", 1),
        ofmap_sram_bytes=1024 * cfg.integer(arch, "OfmapSramSzkB", 1),
        # chiplab needs offsets >= 0: SCALE-Sim uses address -1 to mean "no request", so a negative offset can
        # turn a real operand into a hole and change its counts.
        ifmap_offset=cfg.integer(arch, "IfmapOffset", 0),
        filter_offset=cfg.integer(arch, "FilterOffset", 0),
        ofmap_offset=cfg.integer(arch, "OfmapOffset", 0),
        dataflow=Dataflow(dataflow_text),
        interface_bandwidth=mode,
        user_bandwidths_words_per_cycle=bandwidths,
        ifmap_dram_words_per_cycle=ifmap_bw,
        filter_dram_words_per_cycle=filter_bw,
    )
