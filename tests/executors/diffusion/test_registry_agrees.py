"""The planner's registry and the executor's pipeline table name the same diffusers classes (issue
30 added families to both): a plan never names a pipeline the executor would not load."""

from __future__ import annotations

import diffusers
from retouch.executors.diffusion.loading import BF16_FAMILIES
from retouch.executors.diffusion.pipelines import FAMILY_SIGNATURE, PIPELINES, TRANSFORMER_CLASSES
from retouch.planner.catalog.registry import REGISTRY


def test_every_registry_mode_has_the_pipeline_the_plan_names() -> None:
    for family, spec in REGISTRY.items():
        for mode in spec.modes:
            row = PIPELINES.get((family, mode, None))  # type: ignore[arg-type]
            assert row is not None, f"{family} plans {mode} but no pipeline runs it"
            assert row.pipeline == spec.pipeline_for(mode), (family, mode)
            assert hasattr(diffusers, row.pipeline), row.pipeline


def test_every_pipeline_row_is_a_registry_mode() -> None:
    for (family, mode, _), row in PIPELINES.items():
        assert mode in REGISTRY[family].modes, (family, mode, row.pipeline)
    assert set(FAMILY_SIGNATURE) == set(REGISTRY)


def test_new_families_are_found_by_their_class_and_run_in_bf16() -> None:
    for name in ("ZImagePipeline", "ZImageInpaintPipeline", "ZImageImg2ImgPipeline"):
        assert TRANSFORMER_CLASSES[name] == "z-image" and hasattr(diffusers, name)
    assert TRANSFORMER_CLASSES["JoyImageEditPipeline"] == "joyai-image-edit"
    assert {"z-image", "joyai-image-edit"} <= BF16_FAMILIES
