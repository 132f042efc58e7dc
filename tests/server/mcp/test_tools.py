"""Every MCP tool through a real in-memory client session (mcp.Client on the server object)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from mcp import Client
from PIL import Image
from retouch.planner.catalog.registry import REGISTRY
from retouch.planner.render import load_plan, render
from retouch.server.mcp.app import build_server
from retouch.server.mcp.config import ServerConfig
from retouch.server.mcp.schemas import (
    CheckEditOutput,
    FamilyInfo,
    ListModelsOutput,
    MakeMaskOutput,
    PlanEditOutput,
    RenderSkillDocOutput,
)

pytestmark = pytest.mark.anyio
TOOLS = {"plan_edit", "make_mask", "run_edit", "check_edit", "render_skill_doc", "list_models"}
HISTORY_TOOLS = {"history", "revert"}  # answer about the store, not a result: no provenance
BATCH_TOOLS = {"run_batch"}  # many results: each image's provenance.json is in its folder


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def work(tmp_path: Path, astronaut: Image.Image) -> Path:
    """A working folder with a 128x128 photo, a mask over its top-right corner, and out/."""
    astronaut.resize((128, 128)).save(tmp_path / "photo.png")
    mask = np.zeros((128, 128), dtype=np.uint8)
    mask[8:40, 88:120] = 255
    Image.fromarray(mask, "L").save(tmp_path / "mask.png")
    return tmp_path


@pytest.fixture
def cfg(work: Path) -> ServerConfig:
    return ServerConfig.create(out=work / "out", base=work)


async def call(cfg: ServerConfig, name: str, args: dict):  # type: ignore[no-untyped-def]
    async with Client(build_server(cfg)) as client:
        return await client.call_tool(name, args)


def error_text(result) -> str:  # type: ignore[no-untyped-def]
    assert result.is_error, result.structured_content
    assert len(result.content) == 1
    text = result.content[0].text
    assert "\n" not in text and "Traceback" not in text
    return text


async def test_tools_are_listed_with_schemas_and_honest_annotations(cfg: ServerConfig) -> None:
    async with Client(build_server(cfg)) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
    assert set(listed) == TOOLS | HISTORY_TOOLS | BATCH_TOOLS
    for name, tool in listed.items():
        assert tool.input_schema["type"] == "object"
        assert tool.input_schema["additionalProperties"] is False
        assert tool.output_schema is not None
        assert ("provenance" in tool.output_schema["properties"]) == (name in TOOLS)
        assert tool.annotations.open_world_hint is False
        assert tool.annotations.destructive_hint is False
        assert tool.description
    read_only = {n for n, t in listed.items() if t.annotations.read_only_hint}
    assert read_only == {"check_edit", "list_models", "history"}
    idempotent = {n for n, t in listed.items() if t.annotations.idempotent_hint}
    # revert moves the current pointer: '@current~1' twice goes back twice, so not idempotent
    assert idempotent == {"plan_edit", "check_edit", "render_skill_doc", "list_models", "history"}
    assert "image_base64" in listed["plan_edit"].input_schema["properties"]
    assert "4 MiB" in listed["plan_edit"].input_schema["properties"]["image_base64"]["description"]


async def test_plan_edit_returns_the_plan_its_files_and_the_estimate(
    cfg: ServerConfig, work: Path
) -> None:
    result = await call(
        cfg,
        "plan_edit",
        {
            "image": "photo.png",
            "edit": "remove the object",
            "mask": "mask.png",
            "scene": "an astronaut portrait",
        },
    )
    assert not result.is_error, result.content[0].text
    out = PlanEditOutput.model_validate(result.structured_content)
    on_disk = load_plan(out.plan_file.path)
    assert on_disk == out.plan
    assert out.plan.request.image == str(work / "photo.png")
    assert out.estimate.seconds == out.plan.latency.total_s
    assert out.estimate.cold_load_s == out.plan.latency.cold_load_s
    expected_vram = 0.0 if out.plan.executor == "classical" else out.plan.model.vram_gb
    assert out.estimate.vram_gb == expected_vram
    assert Path(out.skill_doc.path).read_text() == render(on_disk, out.plan_file.path)
    assert out.plan_file.uri == f"retouch://out/plans/{out.plan_id}/plan.json"
    hashes = {i.role: i.sha256 for i in out.provenance.inputs}
    assert hashes["image"] == hashlib.sha256((work / "photo.png").read_bytes()).hexdigest()
    assert hashes["mask"] == hashlib.sha256((work / "mask.png").read_bytes()).hexdigest()
    assert out.plan_id in out.next_step


async def test_plan_edit_accepts_base64_and_stores_the_bytes(cfg: ServerConfig, work: Path) -> None:
    raw = (work / "photo.png").read_bytes()
    args = {"image_base64": base64.b64encode(raw).decode(), "edit": "make it sunset"}
    first = PlanEditOutput.model_validate((await call(cfg, "plan_edit", args)).structured_content)
    stored = Path(first.plan.request.image)
    assert stored.parent == cfg.out_dir / "inputs" and stored.read_bytes() == raw
    again = await call(
        cfg, "plan_edit", {**args, "image_base64": "data:image/png;base64," + args["image_base64"]}
    )
    assert PlanEditOutput.model_validate(again.structured_content).plan_id == first.plan_id


@pytest.mark.parametrize(
    ("b64", "words"),
    [
        ("not base64 at all!", "not valid base64"),
        (base64.b64encode(b"plain text, not an image").decode(), "does not decode to an image"),
        ("A" * (5 * 1024 * 1024), "over the 3 MiB image limit"),
    ],
)
async def test_bad_base64_images_are_tool_errors(cfg: ServerConfig, b64: str, words: str) -> None:
    assert words in error_text(await call(cfg, "plan_edit", {"image_base64": b64, "edit": "x"}))


async def test_argument_mistakes_are_one_line_tool_errors(cfg: ServerConfig) -> None:
    text = error_text(
        await call(cfg, "plan_edit", {"image": "photo.png", "edit": "x", "colour": 1})
    )
    assert "no argument 'colour'" in text and "image_base64" in text
    assert "edit is required" in error_text(await call(cfg, "plan_edit", {"image": "photo.png"}))
    assert "empty" in error_text(await call(cfg, "plan_edit", {"image": "photo.png", "edit": " "}))
    text = error_text(await call(cfg, "plan_edit", {"edit": "x"}))
    assert "exactly one of image" in text
    text = error_text(
        await call(
            cfg, "plan_edit", {"image": "photo.png", "edit": "x", "sam": {"box": [50, 50, 10, 10]}}
        )
    )
    assert "inverted" in text


async def test_a_crash_is_reported_without_its_details(
    cfg: ServerConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    from retouch.server.mcp import plan as tool_plan

    def broken(*args: object) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(tool_plan, "plan_edit", broken)
    text = error_text(await call(cfg, "plan_edit", {"image": "photo.png", "edit": "x"}))
    assert text.startswith("internal error in plan_edit (RuntimeError)")
    assert "secret" not in text


async def test_render_skill_doc_renders_the_stored_plan(cfg: ServerConfig) -> None:
    planned = PlanEditOutput.model_validate(
        (
            await call(
                cfg,
                "plan_edit",
                {"image": "photo.png", "edit": "remove the object", "mask": "mask.png"},
            )
        ).structured_content
    )
    Path(planned.skill_doc.path).unlink()
    result = await call(cfg, "render_skill_doc", {"plan": planned.plan_id})
    out = RenderSkillDocOutput.model_validate(result.structured_content)
    assert out.markdown == Path(out.skill_doc.path).read_text()
    assert out.markdown == render(planned.plan, planned.plan_file.path)
    assert "no plan with id" in error_text(
        await call(cfg, "render_skill_doc", {"plan": "0123456789ab"})
    )


async def test_list_models_reports_families_device_and_local_weights(
    cfg: ServerConfig, work: Path
) -> None:
    models = work / "models"
    model = models / "my-inpaint"
    (model / "unet").mkdir(parents=True)
    (model / "model_index.json").write_text(
        json.dumps(
            {
                "_class_name": "StableDiffusionInpaintPipeline",
                "unet": ["diffusers", "UNet2DConditionModel"],
            }
        )
    )
    (model / "unet" / "config.json").write_text(
        json.dumps({"_class_name": "UNet2DConditionModel", "in_channels": 9})
    )
    (models / "sam_vit_b_01ec64.pth").write_bytes(b"x")
    out = ListModelsOutput.model_validate(
        (await call(cfg, "list_models", {"dirs": ["models"]})).structured_content
    )
    by_family = {f.family: f for f in out.families}
    assert set(by_family) == set(REGISTRY)
    assert by_family["sd-inpaint"].installed and by_family["sd-inpaint"].local_path == str(model)
    assert by_family["sd-inpaint"].vram_gb == REGISTRY["sd-inpaint"].vram_gb
    flux, qwen = by_family["flux-fill"], by_family["qwen-image-edit"]
    assert (flux.commercial_use, qwen.licence, qwen.commercial_use) == (False, "Apache-2.0", True)
    assert not by_family["flux-fill"].installed or by_family["flux-fill"].local_path
    assert [(s.path, s.sam_type) for s in out.sam_checkpoints] == [
        (str(models / "sam_vit_b_01ec64.pth"), "vit_b")
    ]
    assert out.device.kind in ("cpu", "cuda")
    assert (out.device.kind == "cpu") == (out.device.hardware == "cpu")
    assert "outside" in error_text(await call(cfg, "list_models", {"dirs": ["/"]}))


async def test_list_models_names_the_lightning_lora_a_local_qwen_would_fuse(
    cfg: ServerConfig, work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    qwen = work / "models" / "Qwen-Image-Edit-2509"  # the release is read from the folder name
    qwen.mkdir(parents=True)
    (qwen / "model_index.json").write_text(json.dumps({"_class_name": "QwenImageEditPlusPipeline"}))
    loras = work / "loras"
    loras.mkdir()
    for name in (
        "Qwen-Image-Edit-2509-Lightning-4steps-V1.0-bf16",
        "Qwen-Image-Edit-2511-Lightning-8steps-V1.0-bf16",
        "Qwen-Image-Edit-2509-Lightning-8steps-V1.0-bf16",
    ):
        (loras / f"{name}.safetensors").write_bytes(b"")  # found by name; read only at load
    monkeypatch.setenv("RETOUCH_LORA", str(loras))

    async def families() -> dict[str, FamilyInfo]:
        got = await call(cfg, "list_models", {"dirs": ["models"]})
        out = ListModelsOutput.model_validate(got.structured_content)
        return {f.family: f for f in out.families}

    by_family = await families()
    assert by_family["qwen-image-edit"].loras == [  # 8 steps before 4; 2511's is another release
        "lightx2v/Qwen-Image-Lightning/Qwen-Image-Edit-2509/"
        "Qwen-Image-Edit-2509-Lightning-8steps-V1.0-bf16.safetensors"
    ]
    assert by_family["sd-inpaint"].loras == []
    # from the Hugging Face cache instead: only for a folder whose release is known
    from huggingface_hub import constants

    repo = work / "hf" / "models--lightx2v--Qwen-Image-Lightning"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("0123abcd")
    lora = repo / "snapshots" / "0123abcd" / "Qwen-Image-Edit-2509"
    lora.mkdir(parents=True)
    (lora / "Qwen-Image-Edit-2509-Lightning-4steps-V1.0-bf16.safetensors").write_bytes(b"")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(work / "hf"))
    monkeypatch.delenv("RETOUCH_LORA")
    cached = "lightx2v/Qwen-Image-Lightning/Qwen-Image-Edit-2509/Qwen-Image-Edit-2509-Lightning-4"
    assert (await families())["qwen-image-edit"].loras == [f"{cached}steps-V1.0-bf16.safetensors"]
    qwen.rename(work / "models" / "my-qwen")  # a release retouch cannot tell: no guess
    assert (await families())["qwen-image-edit"].loras == []
    monkeypatch.setenv("RETOUCH_LORA", "none")
    assert (await families())["qwen-image-edit"].loras == []
    monkeypatch.setenv("RETOUCH_LORA", str(work / "nowhere"))
    assert "does not exist" in (await families())["qwen-image-edit"].loras[0]


async def test_make_mask_segments_writes_the_mask_and_shows_an_overlay(
    cfg: ServerConfig, work: Path
) -> None:
    box = [20, 5, 110, 120]  # the astronaut; GrabCut finds ~1100 px of her here
    result = await call(cfg, "make_mask", {"image": "photo.png", "sam": {"box": box}})
    assert not result.is_error, result.content[0].text
    out = MakeMaskOutput.model_validate(result.structured_content)
    assert out.image == str(work / "photo.png")
    mask = np.asarray(Image.open(out.mask.path))
    assert mask.shape == (128, 128) and set(np.unique(mask)) <= {0, 255}
    assert out.area == pytest.approx((mask == 255).mean())
    x0, y0, x1, y1 = out.bbox
    assert (
        box[0] <= x0 and box[1] <= y0 and x1 <= box[2] and y1 <= box[3]
    )  # GrabCut stays in its box
    assert out.method in ("sam", "grabcut")
    kinds = [c.type for c in result.content]
    assert kinds.count("image") == 1 and "resource_link" in kinds
    overlay = next(c for c in result.content if c.type == "image")
    assert Image.open(io.BytesIO(base64.b64decode(overlay.data))).size == (128, 128)
    inverted = MakeMaskOutput.model_validate(
        (
            await call(
                cfg, "make_mask", {"image": "photo.png", "sam": {"box": box}, "invert": True}
            )
        ).structured_content
    )
    assert np.array_equal(np.asarray(Image.open(inverted.mask.path)) == 255, mask == 0)


async def test_check_edit_measures_and_returns_the_fixes(cfg: ServerConfig, work: Path) -> None:
    planned = PlanEditOutput.model_validate(
        (
            await call(
                cfg,
                "plan_edit",
                {"image": "photo.png", "edit": "remove the object", "mask": "mask.png"},
            )
        ).structured_content
    )
    same = CheckEditOutput.model_validate(
        (
            await call(
                cfg,
                "check_edit",
                {
                    "source": "photo.png",
                    "result": "photo.png",
                    "mask": "mask.png",
                    "plan": planned.plan_id,
                },
            )
        ).structured_content
    )
    outside = {i.id: i for i in same.qa.items}["outside-unchanged"]
    assert outside.status == "pass" and outside.value == 0
    broken = np.array(Image.open(work / "photo.png"))
    broken[100:, :20] = 0  # outside the mask: must be caught
    Image.fromarray(broken).save(work / "broken.png")
    bad = CheckEditOutput.model_validate(
        (
            await call(
                cfg,
                "check_edit",
                {
                    "source": "photo.png",
                    "result": "broken.png",
                    "mask": "mask.png",
                    "plan": planned.plan_id,
                },
            )
        ).structured_content
    )
    outside = {i.id: i for i in bad.qa.items}["outside-unchanged"]
    assert outside.status == "fail" and outside.value > 0 and not bad.passed
    assert bad.provenance.tool == "check_edit" and len(bad.provenance.inputs) == 4


async def test_resources_serve_output_files_and_refuse_others(cfg: ServerConfig) -> None:
    planned = PlanEditOutput.model_validate(
        (
            await call(
                cfg,
                "plan_edit",
                {"image": "photo.png", "edit": "remove the object", "mask": "mask.png"},
            )
        ).structured_content
    )
    async with Client(build_server(cfg)) as client:
        templates = {
            t.uri_template: t.mime_type
            for t in (await client.list_resource_templates()).resource_templates
        }
        assert templates["retouch://out/{+path}.png"] == "image/png"
        doc = await client.read_resource(planned.skill_doc.uri)
        assert doc.contents[0].text == Path(planned.skill_doc.path).read_text()
        assert doc.contents[0].mime_type == "text/markdown"
        for uri in ("retouch://out/plans/nope/plan.json", "retouch://out/../photo.png"):
            with pytest.raises(Exception):  # noqa: B017 - an MCP error response either way
                await client.read_resource(uri)


async def test_edit_image_prompt_walks_through_the_workflow(cfg: ServerConfig) -> None:
    async with Client(build_server(cfg)) as client:
        prompts = {p.name: p for p in (await client.list_prompts()).prompts}
        args = {a.name: a for a in prompts["edit-image"].arguments}
        assert set(args) == {"image", "edit"} and all(
            a.required and a.description for a in args.values()
        )
        text = (
            (await client.get_prompt("edit-image", {"image": "photo.png", "edit": "remove it"}))
            .messages[0]
            .content.text
        )
    order = [text.index(tool) for tool in ("plan_edit", "make_mask", "run_edit", "check_edit")]
    assert order == sorted(order) and "'photo.png'" in text


def test_building_the_server_and_listing_tools_imports_no_torch(tmp_path: Path) -> None:
    """In a fresh interpreter: build the server and list its tools through a client."""
    code = (
        "import sys, anyio\n"
        "from mcp import Client\n"
        "from retouch.server.mcp.app import build_server\n"
        "from retouch.server.mcp.config import ServerConfig\n"
        "async def main():\n"
        f"    async with Client(build_server(ServerConfig.create(base={str(tmp_path)!r}))) as c:\n"
        "        assert len((await c.list_tools()).tools) == 9\n"
        "anyio.run(main)\n"
        "print(sorted(m for m in ('torch', 'diffusers', 'cv2') if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
