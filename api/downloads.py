"""Files the API and the dashboard hand out alike."""

from fastapi import Response

from app.stats import CsvFile


def csv_download(file: CsvFile, **headers: str) -> Response:
    """The file as an attachment, UTF-8 CSV."""
    return Response(
        content=file.content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{file.filename}"', **headers},
    )
