"""The server-drawn charts and the table tag: accessible SVG (role, title, description), escaped text, round axes,
values that fit the plot, and numbers in the page's language."""

from __future__ import annotations

from decimal import Decimal

from django.utils import translation

from ecosystems import charts
from ecosystems.dashboards import Table
from ecosystems.templatetags.dashboard import Month, Rupiah, dash_table, fmt_cell, fmt_int, fmt_pct


def test_line_chart_is_an_accessible_image_with_whole_number_axes():
    svg = charts.line_chart(title="Registrations <weekly>", desc="12 weeks", labels=[f"w{i}" for i in range(12)],
                            series=[charts.Series("New", [0, 1, 3, 2, 0, 0, 1, 0, 0, 0, 0, 5])], fmt=str, integer=True)
    assert svg.startswith('<svg class="chart" role="img"') and "aria-labelledby=" in svg
    assert "<title" in svg and "Registrations &lt;weekly&gt;</title>" in svg and "<desc" in svg
    assert svg.count("<circle") == 12 and "<polyline" in svg
    assert ">8.0</text>" in svg or ">8</text>" in svg  # 5 rounds up to a top of 8 (steps of 2)
    assert "<script" not in svg and "style=" not in svg  # nothing the CSP forbids


def test_stacked_bars_stack_each_series_and_the_legend_names_them():
    series = [charts.Series("Desa", [1, 2], charts.colour(0)), charts.Series("Pasar & co", [3, 0], charts.colour(1))]
    svg = charts.stacked_bars(title="Per month", desc="", labels=["01/26", "02/26"], series=series, fmt=str,
                              integer=True)
    assert svg.count("<rect") == 3  # a zero is not drawn
    legend = charts.legend(series)
    assert "Pasar &amp; co" in legend and charts.colour(1) in legend and legend.startswith('<ul class="legend">')


def test_progress_bar_is_full_at_or_beyond_the_target():
    assert 'width="400.0"' in charts.progress_bar(title="T", percent=Decimal("140"), label="140 %")
    assert 'width="0.0"' in charts.progress_bar(title="T", percent=None, label="–")
    assert 'width="100.0"' in charts.progress_bar(title="T", percent=Decimal("25"), label="25 %")


def test_numbers_in_indonesian_and_english():
    with translation.override("id"):
        assert (fmt_int(1234567), fmt_pct(Decimal("34.5")), fmt_cell(Rupiah(1234567))) == (
            "1.234.567", "34,5\u00a0%", "Rp1.234.567")
        assert fmt_cell(Month(2026, 10, 1)) == "Okt 2026" and fmt_cell(None) == "–"
    with translation.override("en"):
        assert (fmt_int(1234567), fmt_pct(Decimal("34.5")), fmt_cell(Rupiah(1234567))) == (
            "1,234,567", "34.5%", "Rp1,234,567")


def test_table_tag_marks_numbers_row_headers_and_links():
    table = Table("agents", "Top <agents>", ["Rank", "Agent", "Members"], [[1, "Agus & Sons", 3]],
                  links=["/x/?a=1&b=2"], header=1)
    html = dash_table(table)
    assert '<th scope="col" class="num">Rank</th><th scope="col">Agent</th>' in html
    assert '<th scope="row"><a href="/x/?a=1&amp;b=2">Agus &amp; Sons</a></th>' in html
    assert "<caption id=\"agents-caption\">Top &lt;agents&gt;</caption>" in html
    with translation.override("en"):
        assert "Nothing to show yet." in dash_table(Table("empty", "Empty", ["A", "B"]))
    with translation.override("id"):
        assert "Belum ada yang bisa ditampilkan." in dash_table(Table("empty", "Empty", ["A", "B"]))
