"""Report figures drawn offline with numpy and Pillow: waveform with spectrogram, and a map of places.

The map has no tiles and no borders (nothing is downloaded): a graticule over Ukraine's bounding
box, a few reference cities in grey for orientation, and the places the analysis located.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

LON_MIN, LON_MAX, LAT_MIN, LAT_MAX = 22.0, 40.5, 44.0, 52.5

# Orientation only (approximate city centres).
REFERENCE_CITIES: tuple[tuple[str, float, float], ...] = (
    ("Kyiv", 50.45, 30.52), ("Lviv", 49.84, 24.03), ("Kharkiv", 49.99, 36.23), ("Odesa", 46.48, 30.73),
    ("Dnipro", 48.46, 35.05), ("Donetsk", 48.00, 37.80), ("Luhansk", 48.57, 39.31), ("Zaporizhzhia", 47.84, 35.14),
    ("Mariupol", 47.10, 37.55), ("Kherson", 46.64, 32.62), ("Chernihiv", 51.49, 31.29), ("Sumy", 50.91, 34.80),
    ("Simferopol", 44.95, 34.10), ("Vinnytsia", 49.23, 28.47),
)


@dataclass(frozen=True)
class Band:
    """A time span to mark on the signal figure."""

    start: float
    end: float
    kind: str  # "transmission" | "flag" | "redacted"
    label: str = ""


@dataclass(frozen=True)
class MapPoint:
    number: int
    name: str
    lat: float
    lon: float
    kind: str = "place"  # "place" | "receiver"


def _font(path: Path | None, size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    if path is not None:
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _nice_step(span: float, target: int = 10) -> float:
    raw = max(span / target, 1e-3)
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def _clock(seconds: float) -> str:
    minutes, secs = divmod(seconds, 60)
    return f"{int(minutes)}:{secs:04.1f}" if minutes else f"{secs:.1f} s"


# Dark blue -> purple -> orange -> pale yellow, for the spectrogram.
_ANCHORS = np.array([[8, 8, 40], [80, 20, 110], [190, 50, 80], [250, 150, 40], [252, 250, 190]], dtype=np.float64)


def _colour(values: np.ndarray) -> np.ndarray:
    """Map 0..1 to RGB through the anchors."""
    scaled = np.clip(values, 0, 1) * (len(_ANCHORS) - 1)
    low = np.floor(scaled).astype(int).clip(0, len(_ANCHORS) - 2)
    frac = (scaled - low)[..., None]
    return (_ANCHORS[low] * (1 - frac) + _ANCHORS[low + 1] * frac).astype(np.uint8)


def spectrogram_columns(samples: np.ndarray, sample_rate: int, columns: int, window: int = 512) -> np.ndarray:
    """Power in dB, shape (window // 2 + 1, columns): a few windows averaged per column, so a long
    recording costs no more than a short one."""
    n = samples.size
    if n < window:
        padded = np.zeros(window, dtype=np.float64)
        padded[:n] = samples
        samples, n = padded, window
    # four window positions spread over each column's stretch of the recording
    bounds = np.linspace(0, n - window, columns + 1)
    starts = (bounds[:-1, None] + (bounds[1:, None] - bounds[:-1, None]) * np.linspace(0, 1, 4)[None, :]).astype(np.int64)
    frames = samples[starts[..., None] + np.arange(window)[None, None, :]] * np.hanning(window)
    power = (np.abs(np.fft.rfft(frames, axis=-1)) ** 2).mean(axis=1)  # (columns, bins)
    out = 10 * np.log10(power.T + 1e-12)
    return out


def signal_figure(samples: np.ndarray, sample_rate: int, bands: list[Band], title: str,
                  font_path: Path | None, width: int = 1400) -> bytes:
    """Waveform (min/max envelope) over a spectrogram (0 to Nyquist), with bands marked above."""
    left, right, top = 70, 20, 34
    wave_h, gap, spec_h, axis_h = 150, 12, 240, 46
    height = top + wave_h + gap + spec_h + axis_h
    plot_w = width - left - right
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font, small = _font(font_path, 16), _font(font_path, 12)
    draw.text((left, 8), title, fill="black", font=font)
    duration = samples.size / sample_rate if sample_rate else 0.0
    x_of = (lambda t: left + int(round(t / duration * plot_w))) if duration > 0 else (lambda t: left)

    wave_top = top
    for band in bands:
        x0, x1 = x_of(band.start), max(x_of(band.end), x_of(band.start) + 1)
        if band.kind == "transmission":
            draw.rectangle([x0, wave_top, x1, wave_top + wave_h], fill=(232, 238, 246))
    data = samples.astype(np.float64)
    if data.size:
        edges = np.linspace(0, data.size, plot_w + 1).astype(int)
        mid = wave_top + wave_h / 2
        peak = max(float(np.max(np.abs(data))), 1e-6)
        for col in range(plot_w):
            chunk = data[edges[col]:max(edges[col + 1], edges[col] + 1)]
            lo, hi = float(chunk.min()) / peak, float(chunk.max()) / peak
            draw.line([left + col, mid - hi * wave_h / 2, left + col, mid - lo * wave_h / 2], fill=(30, 60, 140))
    draw.rectangle([left, wave_top, left + plot_w, wave_top + wave_h], outline=(120, 120, 120))
    draw.text((6, wave_top + wave_h / 2 - 8), "wave", fill="black", font=small)

    spec_top = wave_top + wave_h + gap
    if data.size:
        db = spectrogram_columns(data, sample_rate, plot_w)
        db = np.flipud(db)
        ceiling = float(db.max())
        normed = (db - (ceiling - 70.0)) / 70.0
        rgb = _colour(normed)
        spec = Image.fromarray(rgb, "RGB").resize((plot_w, spec_h), Image.Resampling.BILINEAR)
        image.paste(spec, (left, spec_top))
    draw.rectangle([left, spec_top, left + plot_w, spec_top + spec_h], outline=(120, 120, 120))
    nyquist = sample_rate / 2
    step_hz = 1000 if nyquist <= 4000 else 2000
    for hz in range(0, int(nyquist) + 1, step_hz):
        y = spec_top + spec_h - int(hz / nyquist * spec_h)
        draw.line([left - 5, y, left, y], fill="black")
        draw.text((left - 52, y - 7), f"{hz / 1000:g} kHz", fill="black", font=small)

    for band in bands:
        x0, x1 = x_of(band.start), max(x_of(band.end), x_of(band.start) + 2)
        if band.kind == "flag":
            draw.rectangle([x0, wave_top, x1, wave_top + 6], fill=(200, 30, 30))
            draw.rectangle([x0, wave_top, x1, spec_top + spec_h], outline=(200, 30, 30), width=2)
            if band.label:
                label = f"flag {band.label}"
                bbox = draw.textbbox((x0 + 4, wave_top + 9), label, font=small)
                draw.rectangle([bbox[0] - 2, bbox[1] - 1, bbox[2] + 2, bbox[3] + 1], fill="white")
                draw.text((x0 + 4, wave_top + 9), label, fill=(200, 30, 30), font=small)
        elif band.kind == "redacted":
            for x in range(x0, x1, 6):
                draw.line([x, spec_top + spec_h, min(x + 12, x1), spec_top + spec_h - 12], fill=(240, 140, 0))
            draw.rectangle([x0, wave_top, x1, spec_top + spec_h], outline=(240, 140, 0), width=2)
            draw.text((x0 + 3, spec_top + 4), "REDACTED", fill=(240, 140, 0), font=small)

    axis_y = spec_top + spec_h
    if duration > 0:
        step = _nice_step(duration)
        t = 0.0
        while t <= duration + 1e-9:
            x = x_of(t)
            draw.line([x, axis_y, x, axis_y + 5], fill="black")
            draw.text((x - 14, axis_y + 7), _clock(t), fill="black", font=small)
            t += step
    legend = "grey: transmissions; red: flagged passages; orange: redacted (tone)"
    draw.text((left, axis_y + 26), legend, fill=(80, 80, 80), font=small)
    return _png(image)


@dataclass(frozen=True)
class _Extent:
    lon_min: float
    lon_max: float
    lat_min: float
    lat_max: float

    def project(self, lat: float, lon: float, box: tuple[int, int, int, int]) -> tuple[float, float, bool]:
        x0, y0, x1, y1 = box
        inside = self.lon_min <= lon <= self.lon_max and self.lat_min <= lat <= self.lat_max
        lon_c, lat_c = min(max(lon, self.lon_min), self.lon_max), min(max(lat, self.lat_min), self.lat_max)
        x = x0 + (lon_c - self.lon_min) / (self.lon_max - self.lon_min) * (x1 - x0)
        y = y0 + (self.lat_max - lat_c) / (self.lat_max - self.lat_min) * (y1 - y0)
        return x, y, inside


COUNTRY = _Extent(LON_MIN, LON_MAX, LAT_MIN, LAT_MAX)


def _aspect(extent: _Extent) -> float:
    """Width over height of an equirectangular panel, x scaled by cos(mid latitude)."""
    mid = math.radians((extent.lat_min + extent.lat_max) / 2)
    return (extent.lon_max - extent.lon_min) * math.cos(mid) / (extent.lat_max - extent.lat_min)


def _detail_extent(points: list[MapPoint], aspect: float) -> _Extent:
    lats = [p.lat for p in points]
    lons = [p.lon for p in points]
    mid_lat = (min(lats) + max(lats)) / 2
    half_lat = max((max(lats) - min(lats)) / 2 * 1.35, 0.12)
    half_lon = max((max(lons) - min(lons)) / 2 * 1.35, 0.12 / math.cos(math.radians(mid_lat)))
    # widen one side so the panel keeps true proportions
    if half_lon * math.cos(math.radians(mid_lat)) / half_lat < aspect:
        half_lon = half_lat * aspect / math.cos(math.radians(mid_lat))
    else:
        half_lat = half_lon * math.cos(math.radians(mid_lat)) / aspect
    mid_lon = (min(lons) + max(lons)) / 2
    return _Extent(mid_lon - half_lon, mid_lon + half_lon, mid_lat - half_lat, mid_lat + half_lat)


def _graticule_step(span: float) -> float:
    for step in (0.05, 0.1, 0.25, 0.5, 1.0, 2.0):
        if span / step <= 10:
            return step
    return 5.0


def _place_label(draw: ImageDraw.ImageDraw, x: float, y: float, text: str, font: ImageFont.ImageFont | ImageFont.FreeTypeFont,
                 box: tuple[int, int, int, int], taken: list[tuple[float, float, float, float]]) -> tuple[float, float]:
    """A label position beside (x, y) that stays in the panel and avoids earlier labels, if one exists."""
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    w, h = right - left, bottom - top
    options = [(x + 9, y - h / 2 - 2), (x - 9 - w, y - h / 2 - 2), (x - w / 2, y - 12 - h), (x - w / 2, y + 9),
               (x + 9, y + 4), (x + 9, y - h - 8), (x - 9 - w, y + 4), (x - 9 - w, y - h - 8)]
    chosen = None
    for lx, ly in options:
        rect = (lx, ly, lx + w, ly + h + 3)
        if rect[0] < box[0] or rect[2] > box[2] or rect[1] < box[1] or rect[3] > box[3]:
            continue
        if any(not (rect[2] < t[0] or rect[0] > t[2] or rect[3] < t[1] or rect[1] > t[3]) for t in taken):
            continue
        chosen = (lx, ly)
        break
    if chosen is None:
        chosen = (min(max(options[0][0], box[0]), box[2] - w), min(max(options[0][1], box[1]), box[3] - h))
    taken.append((chosen[0], chosen[1], chosen[0] + w, chosen[1] + h + 3))
    return chosen


def _panel(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], extent: _Extent, points: list[MapPoint],
           fonts: tuple, *, full_labels: bool, cities: bool) -> None:
    small, tiny = fonts
    x0, y0, x1, y1 = box
    draw.rectangle(box, fill=(248, 247, 240), outline=(90, 90, 90))
    step = _graticule_step(extent.lat_max - extent.lat_min)
    lon_step = _graticule_step(extent.lon_max - extent.lon_min)
    decimals = 0 if step >= 1 else 2 if step < 0.1 else 1
    lon_decimals = 0 if lon_step >= 1 else 2 if lon_step < 0.1 else 1
    lon = math.ceil(extent.lon_min / lon_step) * lon_step
    while lon <= extent.lon_max + 1e-9:
        x, _, _ = extent.project(extent.lat_min, lon, box)
        draw.line([x, y0, x, y1], fill=(205, 205, 205))
        draw.text((x - 14, y1 + 4), f"{lon:.{lon_decimals}f}°E", fill=(90, 90, 90), font=tiny)
        lon += lon_step
    lat = math.ceil(extent.lat_min / step) * step
    while lat <= extent.lat_max + 1e-9:
        _, y, _ = extent.project(lat, extent.lon_min, box)
        draw.line([x0, y, x1, y], fill=(205, 205, 205))
        draw.text((x0 - 46, y - 7), f"{lat:.{decimals}f}°N", fill=(90, 90, 90), font=tiny)
        lat += step
    taken: list[tuple[float, float, float, float]] = []
    markers = []
    for point in sorted(points, key=lambda p: p.number):
        x, y, inside = extent.project(point.lat, point.lon, box)
        colour = (30, 80, 200) if point.kind == "receiver" else (200, 30, 30)
        if point.kind == "receiver":
            draw.polygon([(x, y - 8), (x - 7, y + 6), (x + 7, y + 6)], fill=colour, outline="black")
        else:
            draw.ellipse([x - 6, y - 6, x + 6, y + 6], fill=colour, outline="black")
        taken.append((x - 7, y - 8, x + 7, y + 7))
        markers.append((point, x, y, inside, colour))
    for point, x, y, inside, colour in markers:
        label = f"{point.number} {point.name}" if full_labels else str(point.number)
        if not inside:
            label += " (outside)"
        draw.text(_place_label(draw, x, y, label, small, box, taken), label, fill=colour, font=small)
    if cities:
        for name, lat, lon in REFERENCE_CITIES:
            x, y, inside = extent.project(lat, lon, box)
            if inside:
                draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=(150, 150, 150))
                draw.text(_place_label(draw, x, y, name, tiny, box, taken), name, fill=(140, 140, 140), font=tiny)
    # scale bar: 10, 20 or 50 km, whichever is nearest a fifth of the panel
    km_per_px = (extent.lon_max - extent.lon_min) * 111.32 * math.cos(math.radians((extent.lat_min + extent.lat_max) / 2)) / (x1 - x0)
    km = min((1, 2, 5, 10, 20, 50, 100, 200), key=lambda k: abs(k / km_per_px - (x1 - x0) / 5))
    length = km / km_per_px
    draw.rectangle([x1 - 20 - length, y1 - 22, x1 - 20, y1 - 16], fill="black")
    draw.text((x1 - 20 - length, y1 - 40), f"{km} km", fill="black", font=tiny)


def map_figure(points: list[MapPoint], title: str, font_path: Path | None) -> bytes:
    """Overview of the bounding box with numbered points, and a detail panel around the points with
    labels and a scale bar; both equirectangular with x scaled by cos(latitude). No tiles, no borders."""
    overview_w = 620
    overview_h = int(round(overview_w / _aspect(COUNTRY)))
    detail_w = 620
    detail_h = overview_h
    left, gap, top, bottom = 56, 70, 40, 58
    width = left + overview_w + gap + detail_w + 20
    height = top + overview_h + bottom
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font, small, tiny = _font(font_path, 16), _font(font_path, 13), _font(font_path, 11)
    draw.text((left, 10), title, fill="black", font=font)
    overview = (left, top, left + overview_w, top + overview_h)
    detail_box = (left + overview_w + gap, top, left + overview_w + gap + detail_w, top + detail_h)
    detail = _detail_extent(points, detail_w / detail_h) if points else COUNTRY
    _panel(draw, overview, COUNTRY, points, (small, tiny), full_labels=False, cities=True)
    dx0, dy0, _ = COUNTRY.project(detail.lat_max, detail.lon_min, overview)
    dx1, dy1, _ = COUNTRY.project(detail.lat_min, detail.lon_max, overview)
    draw.rectangle([dx0, dy0, max(dx1, dx0 + 2), max(dy1, dy0 + 2)], outline=(30, 30, 30), width=2)
    _panel(draw, detail_box, detail, points, (small, tiny), full_labels=True, cities=True)
    note = ("Left: 22–40.5°E, 44–52.5°N, framed area enlarged on the right. Red: places named in the intercept "
            "(geocoded); blue: receiver location; grey: reference cities. No borders or terrain: positions only.")
    draw.text((left, top + overview_h + 24), note, fill=(80, 80, 80), font=tiny)
    return _png(image)
