"""The family catalog (planner/catalog/families/, issue 29): every entry is whole and agrees with
the installed diffusers and the executors; every other family table is derived from the entries;
adding a family is one file, found without registering it anywhere."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
import sys
import types
from pathlib import Path
from typing import Any, get_args

import diffusers
import pytest
from retouch.executors.diffusion import loading, pipelines
from retouch.executors.diffusion.interface import DiffusionExecutor, executor_class
from retouch.planner.catalog import families, reference, registry
from retouch.planner.catalog.scores import SCORES
from retouch.planner.catalog.specs import FamilySpec
from retouch.planner.contract.errors import ExecutorError
from retouch.planner.contract.schema import Family

FOLDER = Path(families.__file__).parent
ENTRIES = list(families.FAMILIES.values())


def _ids(entries: list[FamilySpec]) -> list[str]:
    return [e.family for e in entries]


# ------------------------------------------------------------------------------------ each entry


@pytest.mark.parametrize("entry", ENTRIES, ids=_ids(ENTRIES))
def test_every_entry_is_whole_and_consistent(entry: FamilySpec) -> None:
    assert entry.problems() == []
    assert entry.pipeline_for(entry.modes[0]) == entry.pipeline
    assert entry.scores == SCORES.get(entry.family, ()), "scores come from planner/catalog/scores"


@pytest.mark.parametrize("entry", ENTRIES, ids=_ids(ENTRIES))
def test_every_class_an_entry_names_is_in_the_installed_diffusers(entry: FamilySpec) -> None:
    names = [r.pipeline for r in entry.pipelines] + list(entry.signature.pipeline_classes)
    names += [r.scheduler for r in entry.pipelines if r.scheduler]
    names += [c for c in (entry.signature.unet_class, entry.signature.fill_transformer) if c]
    missing = [n for n in names if not hasattr(diffusers, n)]
    assert not missing, f"{entry.family} names classes diffusers {diffusers.__version__} lacks"


class _FakeVaeConfig:
    block_out_channels = (32, 64, 64)


class _FakePipe:
    """Enough of a pipeline for an executor's declared attributes (no weights)."""

    vae_scale_factor = 8
    vae_scale_factor_spatial = 8  # JoyAI
    unet = types.SimpleNamespace(config=_FakeVaeConfig())


@pytest.mark.parametrize("entry", ENTRIES, ids=_ids(ENTRIES))
def test_every_executor_resolves_and_is_a_diffusion_executor(entry: FamilySpec) -> None:
    for row in entry.pipelines:
        runner = executor_class(row.executor)(_FakePipe())
        assert isinstance(runner, DiffusionExecutor), row.executor
        assert isinstance(runner.multiple_of, int) and runner.multiple_of > 0
        assert runner.size_rule is None or isinstance(runner.size_rule, str)
        assert isinstance(runner.step_progress, bool)
        w, h = runner.work_size((640, 480), entry.native_resolution)
        assert w > 0 and h > 0


def test_every_executor_class_is_named_by_a_catalog_row() -> None:
    """An executor no entry names is dead code, or a family whose file was forgotten."""
    from retouch.executors.diffusion import calls

    bases = {calls.PipelineExecutor, calls.TransformerExecutor, calls.FluxExecutor}
    named = {r.executor for e in ENTRIES for r in e.pipelines}
    folder = Path(calls.__file__).parent
    found = set()
    for path in folder.glob("*.py"):
        module = importlib.import_module(f"retouch.executors.diffusion.{path.stem}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, calls.PipelineExecutor) and cls not in bases:
                found.add(f"{cls.__module__}:{cls.__qualname__}")
    assert found - named == set(), "executor classes no catalog entry runs"
    assert named <= found


def test_an_executor_path_that_names_nothing_is_refused() -> None:
    for bad in ("retouch.executors.diffusion.inpaint", "retouch.executors.diffusion.inpaint:Nope"):
        with pytest.raises(ExecutorError, match="executor path"):
            executor_class(bad)


def test_a_class_without_the_interface_is_not_a_diffusion_executor() -> None:
    class NoCall:
        pipe = None
        size_rule = None
        step_progress = True
        multiple_of = 8

    assert not isinstance(NoCall(), DiffusionExecutor)


def test_problems_names_an_inconsistent_entry() -> None:
    entry = families.FAMILIES["flux2-klein"]
    bad = dataclasses.replace(entry, modes=("instruct",), reference_modes=("repaint",))
    found = " ".join(bad.problems())
    assert "pipelines' modes" in found and "reference modes" in found
    assert dataclasses.replace(entry, native_resolution=1000).problems() == [
        "native 1000 is not a multiple of 16"
    ]


def test_every_family_id_has_one_entry() -> None:
    assert set(families.FAMILIES) == set(get_args(Family))
    positions = [e.position for e in ENTRIES]
    assert len(set(positions)) == len(positions), "two entries share a position"


def test_no_detection_signature_is_claimed_twice() -> None:
    classes = [c for e in ENTRIES for c in e.signature.pipeline_classes]
    assert len(classes) == len(set(classes))
    unets = [
        (e.signature.unet_layout, e.signature.unet_channels)
        for e in ENTRIES
        if e.signature.unet_layout
    ]
    assert len(unets) == len(set(unets))


def test_variants_and_loras_point_at_their_family() -> None:
    for model_id, variant in registry.VARIANTS.items():
        assert variant.family in families.FAMILIES, model_id
        assert model_id != families.FAMILIES[variant.family].default_id
    for name, lora in registry.LORAS.items():
        assert lora.family in families.FAMILIES, name
        assert "instruct" in families.FAMILIES[lora.family].modes


# ------------------------------------------------------------------------------------ derived tables


def test_the_planner_tables_are_derived_from_the_entries() -> None:
    entries = families.FAMILIES
    assert registry.REGISTRY == entries
    assert registry.LICENCES == {f: e.licence for f, e in entries.items()}
    assert registry.VARIANTS == {k: v for e in entries.values() for k, v in e.variants}
    assert registry.LORAS == {k: v for e in entries.values() for k, v in e.loras}
    assert registry.CONTROLNETS == {
        (r.controlnet, f): r.controlnet_id
        for f, e in entries.items()
        for r in e.pipelines
        if r.controlnet
    }
    assert set(registry.INPAINT_FAMILIES) == {f for f, e in entries.items() if "inpaint" in e.modes}
    assert reference.REFERENCE_MODES == {
        f: e.reference_modes for f, e in entries.items() if e.reference_modes
    }
    assert set(reference.REFERENCE_FAMILIES) == set(reference.REFERENCE_MODES)


def test_the_executor_tables_are_derived_from_the_entries() -> None:
    entries = families.FAMILIES
    rows = {(f, r.mode, r.controlnet): r for f, e in entries.items() for r in e.pipelines}
    assert set(pipelines.PIPELINES) == set(rows)
    for key, spec in pipelines.PIPELINES.items():
        row = rows[key]
        assert (spec.pipeline, spec.executor, spec.scheduler, spec.load) == (
            row.pipeline,
            row.executor,
            row.scheduler,
            row.load,
        )
        # FamilySpec.pipeline_for and PIPELINES answer from the same row
        assert entries[key[0]].pipeline_for(key[1], key[2]) == spec.pipeline
    assert pipelines.SUPPORTED_FAMILIES == set(entries)
    assert pipelines.FAMILY_SIGNATURE == {f: e.signature.text for f, e in entries.items()}
    assert pipelines.TRANSFORMER_CLASSES == {
        c: f for f, e in entries.items() for c in e.signature.pipeline_classes
    }
    for layout, table in (
        ("sd", pipelines.SD_UNET_CHANNELS),
        ("sdxl", pipelines.SDXL_UNET_CHANNELS),
    ):
        assert table == {
            e.signature.unet_channels: f
            for f, e in entries.items()
            if e.signature.unet_layout == layout
        }
    assert loading.BF16_FAMILIES == {f for f, e in entries.items() if e.dtype == "bf16"}


def test_detection_reads_the_signature(tmp_path: Path) -> None:
    """A folder is told apart by the entry's signature alone (JSON files, no weights)."""
    import json

    def folder(name: str, index: dict[str, Any], **configs: dict[str, Any]) -> Path:
        root = tmp_path / name
        root.mkdir()
        (root / "model_index.json").write_text(json.dumps(index))
        for sub, config in configs.items():
            (root / sub).mkdir()
            (root / sub / "config.json").write_text(json.dumps(config))
        return root

    for entry in ENTRIES:
        sig = entry.signature
        if sig.pipeline_classes:
            path = folder(entry.family, {"_class_name": sig.pipeline_classes[0]})
        elif sig.unet_layout:
            index = {
                "_class_name": "X",
                **({"text_encoder_2": []} if sig.unet_layout == "sdxl" else {}),
            }
            unet = {"_class_name": "UNet2DConditionModel", "in_channels": sig.unet_channels}
            path = folder(entry.family, index, unet=unet)
        elif sig.unet_class:
            path = folder(entry.family, {"_class_name": "X"}, unet={"_class_name": sig.unet_class})
        else:
            config = {"_class_name": sig.fill_transformer, "in_channels": 384, "out_channels": 64}
            path = folder(entry.family, {"_class_name": "X"}, transformer=config)
        assert loading.detect_family(path) == entry.family


# ------------------------------------------------------------------------------------ one file each


def test_the_collector_finds_every_module_in_the_folder() -> None:
    on_disk = sorted(p.stem for p in FOLDER.glob("*.py") if not p.stem.startswith("_"))
    assert on_disk == families.family_modules()
    assert sorted(families.module_name(f) for f in families.FAMILIES) == on_disk


def _drop_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stem: str, family: str) -> None:
    """A new module in the families folder (a second folder on its __path__)."""
    source = (FOLDER / "sd.py").read_text().replace('family="sd"', f'family="{family}"')
    source, moved = re.subn(r"position=\d+", "position=999", source)
    assert moved == 1
    (tmp_path / f"{stem}.py").write_text(source)
    monkeypatch.setattr(families, "__path__", [*families.__path__, str(tmp_path)])
    monkeypatch.delitem(sys.modules, f"{families.__name__}.{stem}", raising=False)


def test_a_new_file_is_a_new_family_with_nothing_else_edited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _drop_in(tmp_path, monkeypatch, "sd_copy", "sd-copy")
    try:
        found = families._collect()
    finally:
        sys.modules.pop(f"{families.__name__}.sd_copy", None)
    assert list(found)[-1] == "sd-copy" and len(found) == len(families.FAMILIES) + 1


def test_a_file_named_for_another_family_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _drop_in(tmp_path, monkeypatch, "misnamed", "sd-copy")
    try:
        with pytest.raises(ValueError, match="name the file sd_copy.py"):
            families._collect()
    finally:
        sys.modules.pop(f"{families.__name__}.misnamed", None)


def test_qwen_and_longcat_share_the_transformer_base_not_flux() -> None:
    """Qwen-Image-Edit and LongCat are not Flux models: they share the packed-latent transformer
    base with the Flux executors, and nothing Flux-only."""
    from retouch.executors.diffusion.calls import FluxExecutor, TransformerExecutor
    from retouch.executors.diffusion.longcat import LongCatEditExecutor
    from retouch.executors.diffusion.qwen import QwenEditExecutor

    for cls in (QwenEditExecutor, LongCatEditExecutor):
        assert issubclass(cls, TransformerExecutor) and not issubclass(cls, FluxExecutor)
    assert QwenEditExecutor(_FakePipe()).multiple_of == 16
