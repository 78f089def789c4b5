"""A supplier's feed from the browser: upload a file, confirm or discard a held run, download purchase orders.

The upload goes the push API's way (`hub.services.feeds.import_feed`, off the event loop, the same
size limit `HUB_FEED_MAX_BYTES`, checked before a byte is parsed), only with the file from a form
instead of the request body; its run says `upload`. Confirm and discard are the API's
`confirm_run` / `discard_run`. Purchase-order files are read through `hub.services.purchase_orders`
and served only to a signed-in admin (the supplier reads its own through the API with its key).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from hub.api import session
from hub.api.dashboard import not_found_page
from hub.api.deps import HubDep
from hub.api.supplier_views import supplier_page
from hub.errors import NotFound, UserError
from hub.services import feeds, purchase_orders

router = APIRouter(include_in_schema=False)
FORMAT_WORDS = {"auto": "recognise it", "csv": "CSV", "gmc-xml": "Google Merchant XML",
                "gmc-tsv": "Google Merchant TSV", "json": "JSON", "jsonl": "JSON Lines"}


def _login(code: str) -> Response:
    return RedirectResponse(f"/login?next=/suppliers/{code}", status_code=303)


@router.post("/suppliers/{code}/feed")
async def upload_feed(request: Request, hub: HubDep, code: str,
                      file: Annotated[UploadFile | None, File()] = None, mode: Annotated[str, Form()] = "full",
                      format: Annotated[str, Form()] = "auto", force: Annotated[str, Form()] = "") -> Response:
    if not session.signed_in(request):
        return _login(code)
    form = {"mode": mode, "format": format, "force": force}
    errors: dict[str, str] = {}
    if file is None or not file.filename:
        errors["file"] = "choose the feed file to upload"
    if mode not in feeds.MODES:
        errors["mode"] = "choose a full or a partial (delta) feed"
    if format not in FORMAT_WORDS:
        errors["format"] = "choose one of the formats listed"
    if errors or file is None:
        return supplier_page(request, hub, code, errors=errors, upload_form=form)
    try:
        summary = await run_in_threadpool(feeds.import_feed, hub, code, file.file, mode=mode, fmt=format,
                                          source="upload", force=bool(force))
    except NotFound:
        return not_found_page(request)
    except UserError as exc:  # unreadable, too large, or another import of this supplier is running
        return supplier_page(request, hub, code, errors={"file": str(exc)}, upload_form=form)
    finally:
        await file.close()
    return supplier_page(request, hub, code, upload={**summary.as_dict(), "filename": file.filename},
                         upload_form=form)


def _held_run(request: Request, hub: HubDep, code: str, run_id: int, confirm: bool) -> Response:
    if not session.signed_in(request):
        return _login(code)
    try:
        if confirm:
            feeds.confirm_run(hub, run_id, code=code)
        else:
            feeds.discard_run(hub, run_id, code=code)
    except NotFound:
        return not_found_page(request)
    except UserError as exc:  # no longer held (confirmed or discarded meanwhile), or a newer feed applied
        return supplier_page(request, hub, code, errors={"_form": str(exc)})
    note = "confirmed" if confirm else "discarded"
    return RedirectResponse(f"/suppliers/{code}?note={note}#runs", status_code=303)


@router.post("/suppliers/{code}/feed-runs/{run_id}/confirm")
def confirm_run(request: Request, hub: HubDep, code: str, run_id: int) -> Response:
    return _held_run(request, hub, code, run_id, confirm=True)


@router.post("/suppliers/{code}/feed-runs/{run_id}/discard")
def discard_run(request: Request, hub: HubDep, code: str, run_id: int) -> Response:
    return _held_run(request, hub, code, run_id, confirm=False)


@router.get("/suppliers/{code}/purchase-orders/{batch_id}.csv")
def purchase_order(request: Request, hub: HubDep, code: str, batch_id: str) -> Response:
    if not session.signed_in(request):
        return _login(code)
    try:
        data = purchase_orders.read_batch(hub, code, batch_id)
    except (NotFound, ValueError):
        return not_found_page(request)
    return Response(data, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{code}-{batch_id}.csv"',
        "Cache-Control": "no-store"})
