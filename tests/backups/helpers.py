"""Shared by the backup tests: a data directory's settings, and reports submitted with files
through the project's own use cases (no HTTP needed to fill a directory)."""

from __future__ import annotations

from pathlib import Path

from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.files.upload import Recipients, UploadBatch
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.submission import new_draft, submit_report
from dropbox_server.services import Services
from tests.conftest import CHEAP_KDF

ROOT = Path(__file__).resolve().parents[2]


def settings_at(path: Path) -> Settings:
    return Settings.for_data_dir(path, receipt_kdf=CHEAP_KDF, password_kdf=CHEAP_KDF)


async def upload(batch: UploadBatch, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        sink = await batch.begin(name, "application/octet-stream")
        await sink.write(data)
        await sink.finish()


async def submit(
    services: Services, settings: Settings, unit: str, text: str, files: dict[str, bytes]
) -> str:
    content = ReportContent(force=unit, conduct="corruption", what_happened=text)
    draft = new_draft()
    async with UploadBatch(services.files, Recipients(draft.id, draft.keys.public), settings.files) as batch:
        await upload(batch, files)
        receipt = await submit_report(
            services.db, services.receipts, content, None, "online", today(), draft=draft, attachments=batch
        )
    return str(receipt)
