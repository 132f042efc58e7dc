"""A test host for the editor app, run by test_browser.py inside a loopback-only network namespace:
starts `retouch serve --http` on 127.0.0.1, loads the page it serves (ui://retouch/editor.html)
into a sandboxed iframe of a host page in headless Chromium, forwards the app's tools/call and
resources/read to the server, paints a stroke, commits the mask, runs a classical edit and prints
the verdict as JSON, then has a sibling frame post a forged message into the app (which must
drop it) and records the request ids the app used; saves a screenshot of the before/after view as WORK/before-after.png.
Last it runs "put the subject on its own layer" with layers on and reads the layer thumbnails.

    python browser_host.py WORK      (WORK holds photo.png; needs Debian's chromium, playwright)
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

from mcp import Client
from mcp.client.extension import advertise
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID
from playwright.async_api import async_playwright

CHROMIUM = "/usr/bin/chromium"
HOST_URL = "http://host.test/"
FLAGS = [  # no background networking: updates, safe browsing, sync, QUIC, first-run pings
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOST_PAGE = r"""<!doctype html><html><body style="margin:0">
<iframe id="app" sandbox="allow-scripts" style="width:WIDTHpx;height:820px;border:0"></iframe>
<script>
const frame = document.getElementById("app");
window.seenIds = [];
window.forge = () => {  // a sibling frame (an ad, another app) posts into the editor
  const evil = document.createElement("iframe");
  evil.setAttribute("sandbox", "allow-scripts");
  evil.srcdoc = `<script>parent.frames[0].postMessage({jsonrpc: "2.0",
    method: "ui/notifications/host-context-changed", params: {theme: "light"}}, "*");<\/script>`;
  document.body.appendChild(evil);
};
window.restyle = (theme) => frame.contentWindow.postMessage(
  {jsonrpc: "2.0", method: "ui/notifications/host-context-changed", params: {theme}}, "*");
window.addEventListener("message", async (e) => {
  const msg = e.data;
  if (e.source !== frame.contentWindow || !msg || msg.jsonrpc !== "2.0" || msg.id === undefined) return;
  window.seenIds.push(msg.id);
  const answer = (body) => frame.contentWindow.postMessage({jsonrpc: "2.0", id: msg.id, ...body}, "*");
  if (msg.method === "ui/initialize") {
    answer({result: {protocolVersion: msg.params.protocolVersion, hostInfo: {name: "test-host", version: "1"},
                     hostCapabilities: {serverTools: {}, serverResources: {}}, hostContext: {theme: "dark"}}});
  } else if (msg.method === "tools/call" || msg.method === "resources/read") {
    try { answer({result: await window.forward(msg.method, msg.params)}); }
    catch (err) { answer({error: {code: -32603, message: String(err)}}); }
  } else { answer({result: {}}); }
});
</script></body></html>"""


def start_server(work: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "retouch.server.cli", "serve", "--http", "--port", str(port)],
        cwd=work,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, f"http://127.0.0.1:{port}/mcp"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start listening")


async def drive(work: Path, url: str, width: int) -> dict:
    apps = [advertise(EXTENSION_ID, {"mimeTypes": [APP_MIME_TYPE]})]
    async with Client(url, extensions=apps) as client, async_playwright() as pw:
        html = (await client.read_resource("ui://retouch/editor.html")).contents[0].text
        calls: list[str] = []

        async def forward(_source: object, method: str, params: dict) -> dict:
            calls.append(params.get("name", params.get("uri", "")))
            if method == "tools/call":
                result = await client.call_tool(params["name"], params.get("arguments") or {})
            else:
                result = await client.read_resource(params["uri"])
            return result.model_dump(mode="json", by_alias=True, exclude_none=True)

        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = await browser.new_page(viewport={"width": width + 20, "height": 900})
        await page.expose_binding("forward", forward)
        # the host page has an origin of its own (answered in-process: nothing leaves the page)
        body = HOST_PAGE.replace("WIDTH", str(width))
        await page.route(HOST_URL, lambda route: route.fulfill(body=body, content_type="text/html"))
        await page.goto(HOST_URL)
        await page.eval_on_selector("#app", "(f, html) => { f.srcdoc = html; }", html)
        app = page.frame_locator("#app")
        await app.locator("#image").fill("photo.png")
        await app.locator("#open").click()
        await app.locator("#status").filter(has_text="512×512").wait_for(timeout=30_000)
        # 1. paint a stroke over the top-right corner, then undo and paint it again (Ctrl+Z)
        box = await app.locator("#stage").bounding_box()
        for attempt in range(2):
            await page.mouse.move(box["x"] + box["width"] * 0.62, box["y"] + box["height"] * 0.15)
            await page.mouse.down()
            for step in range(1, 11):
                x = box["x"] + box["width"] * (0.62 + 0.012 * step)
                await page.mouse.move(x, box["y"] + box["height"] * (0.15 + 0.01 * step))
            await page.mouse.up()
            if attempt == 0:
                await app.locator("#undo").click()
        # 2. commit it, then run a classical edit with it and read the verdict
        await app.locator("#commit").click()
        await app.locator("#status").filter(has_text="mask saved").wait_for(timeout=30_000)
        saved = await app.locator("#status").inner_text()
        await app.locator("#edit").fill("remove the object")
        await app.locator("#executor").select_option("classical")
        await app.locator("#run").click()
        await app.locator("#verdict").filter(has_text=" ").wait_for(timeout=120_000)
        verdict = await app.locator("#verdict").inner_text()
        await app.locator("#zoomregion").click()
        await page.wait_for_timeout(300)
        shot = work / "before-after.png"
        await page.screenshot(path=str(shot))
        theme = await app.locator("html").get_attribute("data-theme")
        # 3. a message from a window that is not the host is dropped; the host's still counts
        await page.evaluate("window.forge()")
        await page.wait_for_timeout(800)
        forged = await app.locator("html").get_attribute("data-theme")
        await page.evaluate("window.restyle('light')")
        await page.wait_for_timeout(300)
        restyled = await app.locator("html").get_attribute("data-theme")
        ids = await page.evaluate("window.seenIds")
        pinned = await page.frames[1].evaluate("hostOrigin")  # where the app posts its messages
        layers = await cut_out(page, app, work)
        await browser.close()
    seen = {"theme": theme, "forged": forged, "restyled": restyled, "ids": ids, "pinned": pinned}
    return {"verdict": verdict, "saved": saved, "calls": calls, "shot": str(shot), **seen, **layers}


async def cut_out(page, app, work: Path) -> dict:  # type: ignore[no-untyped-def]
    """Back to the mask, "put the subject on its own layer" with the layers box ticked: the
    layer PNGs come back as thumbnails (each loaded, over a checkerboard), the .ora and .psd
    as lines; a screenshot of them as WORK/layers.png."""
    await app.locator("#back").click()
    await app.locator("#layers").check()
    await app.locator("#edit").fill("put the subject on its own layer")
    await app.locator("#run").click()
    await app.locator("#verdict").filter(has_text="source unchanged").wait_for(timeout=120_000)
    loaded = app.locator('#layerthumbs img[data-loaded="1"]')
    await loaded.nth(2).wait_for(timeout=60_000)
    thumbs = await page.frames[1].evaluate(
        """() => [...document.querySelectorAll("#layerthumbs figure")].map((f) => {
            const im = f.querySelector("img"), a = im.getBoundingClientRect();
            const b = f.getBoundingClientRect();  // shown in its figure, at thumbnail size
            const inside = a.top >= b.top && a.bottom <= b.bottom && a.height >= 100;
            return {name: f.querySelector("figcaption").textContent, width: im.naturalWidth, inside,
                    loaded: im.dataset.loaded === "1", src: im.src.slice(0, 22),
                    checker: getComputedStyle(im).backgroundImage};
        })"""
    )
    files = await app.locator("#layerlist li").all_inner_texts()
    shot = work / "layers.png"
    await app.locator("#layerthumbs").screenshot(path=str(shot))
    verdict = await app.locator("#verdict").inner_text()
    return {"thumbs": thumbs, "layer_files": files, "layers_shot": str(shot), "cutout": verdict}


def main() -> None:
    work = Path(sys.argv[1])
    width = int(sys.argv[2]) if len(sys.argv) > 2 else 420
    proc, url = start_server(work)
    try:
        print(json.dumps(asyncio.run(drive(work, url, width))))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
