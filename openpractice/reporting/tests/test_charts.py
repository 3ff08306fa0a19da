"""Chart geometry (reporting.charts) and its SVG: coordinates worked out by hand, the accessible parts present, no
inline style, and the chart drawn by WeasyPrint as the operations brief's PDF does."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.template.loader import render_to_string

from openpractice.reporting import charts


def test_a_scale_has_round_steps_and_always_includes_zero() -> None:
    assert charts.nice_scale(0, 47) == (0, 60, 20)  # 47 / 4 = 11.75: the next round step is 20
    assert charts.nice_scale(0, 100) == (0, 100, 25)
    assert charts.nice_scale(12, 38) == (0, 40, 10)  # zero kept on the axis
    assert charts.nice_scale(-30, 10) == (-30, 10, 10)
    assert charts.nice_scale(0, 0) == (0, 1, 0.25)  # nothing to show: a unit axis
    # Counts step by whole numbers: never a tick at 0.25 of a claim.
    assert charts.nice_scale(0, 1, whole=True) == (0, 1, 1)
    assert charts.nice_scale(0, 7, whole=True) == (0, 8, 2)


def test_values_are_written_as_people_read_them() -> None:
    assert charts.format_value(Decimal("12.5"), "%") == "12.5%"
    assert charts.format_value(Decimal("40"), "%") == "40%"
    assert charts.format_value(Decimal("1234.5"), "$") == "$1,234.50"
    assert charts.format_value(Decimal("-20"), "$") == "−$20.00"
    assert charts.format_value(Decimal("34.2"), "days") == "34.2 d"
    assert charts.format_value(1204, "count") == "1,204"
    assert charts.format_value(Decimal("2.5"), "hours") == "2.5 h"
    assert charts.format_value(None, "%") == "—"


def test_a_line_chart_places_points_evenly_and_scales_values_to_the_axis() -> None:
    chart = charts.line_chart(title="Days in A/R", labels=["Jan", "Feb", "Mar"],
                              series=[("Days in A/R", [Decimal(40), None, Decimal(20)])], unit="days",
                              target=Decimal(35), width=640, height=240)
    # Plot box: x 56 to 612, y 14 (top) to 212 (axis); scale 0..40 in steps of 10.
    assert (chart.left, chart.right, chart.top, chart.bottom) == (56.0, 612.0, 14.0, 212.0)
    assert [tick.label for tick in chart.ticks] == ["0", "10", "20", "30", "40"]
    first, third = chart.series[0].points
    assert (first.x, first.y) == (56.0, 14.0)  # 40 at the top
    assert (third.x, third.y) == (612.0, 113.0)  # 20 half way: 212 - 198 / 2
    # The gap (February unknown) breaks the line into two pieces: two moves, no line drawn across it.
    assert chart.series[0].path == "M56.0 14.0 M612.0 113.0"
    assert chart.target is not None
    assert chart.target.y == 38.8  # 35 of 40: 212 - 198 * 35 / 40 = 38.75, rounded
    assert chart.table_rows == (("Jan", "40 d"), ("Feb", "—"), ("Mar", "20 d"))


def test_several_series_get_their_own_colour_and_a_legend() -> None:
    chart = charts.line_chart(title="Rates", labels=["Jan", "Feb"],
                              series=[("Clean claims", [95, 96]), ("Denials", [5, 4])], unit="%")
    assert [series.colour for series in chart.series] == [charts.PALETTE[0], charts.PALETTE[1]]
    assert [item.name for item in chart.legend] == ["Clean claims", "Denials"]
    assert chart.table_head == ("", "Clean claims", "Denials")


def test_a_series_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="2 values for 3 labels"):
        charts.line_chart(title="x", labels=["a", "b", "c"], series=[("s", [1, 2])])


def test_vertical_bars_scale_to_the_largest_value() -> None:
    chart = charts.bar_chart(title="Applicants", bars=[("Applied", 10), ("Interview", 5), ("Offer", 0)],
                             width=340, height=220)
    # Plot: x 48..332 (three slots of 94.67), y 18..196, scale 0..10.
    applied, interview, offer = chart.bars
    assert (applied.y, applied.height) == (18.0, 178.0)
    assert (interview.y, interview.height) == (107.0, 89.0)
    assert offer.height == 0.0
    assert applied.x == round(48 + 94.667 * 0.15, 1)
    assert chart.axis == (48.0, 196.0, 332.0, 196.0)


def test_horizontal_bars_grow_from_the_label_column_and_carry_their_links() -> None:
    chart = charts.bar_chart(title="Denials", bars=[("Coding", 3), ("Eligibility", 6)], horizontal=True,
                             urls=["/a", "/b"], width=640)
    coding, eligibility = chart.bars
    assert coding.x == eligibility.x == 200.0  # the label column is 200 wide
    assert eligibility.width == 370.0  # 6 of a 0..6 scale over 200..570
    assert coding.width == 185.0
    assert (coding.url, eligibility.url) == ("/a", "/b")
    assert coding.label_at.anchor == "end"


def test_stacked_bars_split_each_row_by_its_segments_on_one_scale() -> None:
    chart = charts.stacked_bar_chart(title="A/R", segment_names=["0–30", "31–60", "120+"],
                                     rows=[("Payers", [Decimal(300), Decimal(100), Decimal(0)]),
                                           ("Patients", [Decimal(50), Decimal(0), Decimal(150)])], unit="$",
                                     width=640)
    payers, patients = chart.rows
    # Bars span 160..544 (384 wide) for the largest total, 400.
    assert [(segment.x, segment.width) for segment in payers.segments] == [(160.0, 288.0), (448.0, 96.0),
                                                                           (544.0, 0.0)]
    assert [segment.width for segment in patients.segments] == [48.0, 0.0, 144.0]
    assert payers.segments[0].share == "75.0%"
    assert patients.total_display == "$200.00"
    assert chart.table_rows[1] == ("Patients", "$50.00", "$0.00", "$150.00", "$200.00")


def test_a_chart_with_nothing_to_show_says_so() -> None:
    chart = charts.bar_chart(title="Denials", bars=[])
    html = render_to_string("reporting/_chart.html", {"chart": chart})
    assert "<svg" not in html
    assert "no data for this period" in html


def test_the_svg_is_labelled_has_a_data_table_and_no_inline_style() -> None:
    chart = charts.line_chart(title="No-show rate by month", labels=["Jan", "Feb"], chart_id="trend-noshow",
                              series=[("No-show rate", [Decimal("12.5"), Decimal("8.0")])], unit="%",
                              target=Decimal(10), description="No-shows ÷ scheduled.")
    html = render_to_string("reporting/_chart.html", {"chart": chart})
    assert 'role="img"' in html
    assert 'aria-labelledby="trend-noshow-title trend-noshow-desc"' in html
    assert '<title id="trend-noshow-title">No-show rate by month</title>' in html
    assert "No-shows ÷ scheduled." in html
    assert re.search(r'<div class="visually-hidden"><table class="data chart-table">', html)
    assert "<td class=\"num\">12.5%</td>" in html
    assert "Target 10%" in html
    assert "style=" not in html
    visible = render_to_string("reporting/_chart.html", {"chart": chart, "table": "visible"})
    assert '<div class="table-wrap"><table' in visible


def test_weasyprint_draws_the_chart_in_a_pdf() -> None:
    from weasyprint import HTML

    chart = charts.stacked_bar_chart(title="A/R by age", segment_names=["0–30", "31–60"],
                                     rows=[("Payers", [Decimal(10), Decimal(5)])], unit="$")
    html = render_to_string("reporting/_chart.html", {"chart": chart, "table": "visible"})
    pdf = HTML(string=f"<html><body>{html}</body></html>").write_pdf()
    assert pdf is not None
    assert pdf.startswith(b"%PDF")


def test_long_labels_are_cut_to_their_column_and_kept_whole_in_the_tooltip_and_table() -> None:
    name = "Notice of Privacy Practices, acknowledgement of the 2026 revision"
    chart = charts.bar_chart(title="Acknowledged", bars=[(name, 80)], horizontal=True, unit="%", width=640)
    bar = chart.bars[0]
    assert bar.label_at.text.endswith("…")
    assert bar.label_at.text == "Notice of Privacy Practices,…"  # 30 characters fit in 188 units
    assert bar.label == name
    assert chart.table_rows == ((name, "80%"),)
    assert charts.fit("Coding", 100) == "Coding"


def test_a_line_charts_last_month_label_ends_at_its_point_and_stays_inside_the_chart() -> None:
    chart = charts.line_chart(title="Trend", labels=["Jan 2026", "Feb 2026", "Mar 2026"],
                       series=[("Days in A/R", [Decimal("30"), Decimal("32"), Decimal("31")])], unit="days")
    assert [label.anchor for label in chart.x_labels] == ["middle", "middle", "end"]
