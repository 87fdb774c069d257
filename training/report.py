"""The training report: report/index.html and its PNG plots beside the artifacts.

For a person deciding whether to promote a model; the function never reads it.
Figures draw on matplotlib's Agg canvas (no display, no pyplot state), and matplotlib
is imported nowhere else.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

from predict_fn import features
from predict_fn.contract import CITY_FULL, DATE, LABEL
from predict_fn.model import RegressionMetrics
from training.pipeline import TrainResult, baseline_predictions
from training.upload import REPORT_DIR, REPORT_INDEX

TOP_CITIES = 15
TOP_FEATURES = 15
MODEL_COLOUR = "tab:blue"
BASELINE_COLOUR = "tab:orange"
DPI = 100

# Engineered feature → the input a user recognises it by.
METRIC_NAMES = {
    "model": "model (LightGBM)",
    "baseline_city_median": "baseline: median training price of the city",
}


@dataclass(frozen=True, slots=True)
class Plot:
    file: str
    title: str
    caption: str
    figure: Figure


def write_report(result: TrainResult, manifest: Mapping[str, Any], out: Path) -> Path:
    """Write the PNGs and index.html under `out`/report; returns the index's path."""
    (out / REPORT_DIR).mkdir(parents=True, exist_ok=True)
    plots = [
        _predicted_vs_actual(result),
        _error_by_city(result),
        _error_over_time(result),
        _feature_importance(result),
    ]
    for plot in plots:
        plot.figure.savefig(out / REPORT_DIR / plot.file, dpi=DPI)
    index = out / REPORT_INDEX
    index.write_text(_html(result.metrics, manifest, plots), encoding="utf-8")
    return index


def _money(value: float, _position: object = None) -> str:
    if abs(value) >= 1e6:
        return f"${value / 1e6:.1f}M"
    return f"${value / 1e3:.0f}k" if abs(value) >= 1e3 else f"${value:.0f}"


def _axes(width: float, height: float) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(width, height), layout="constrained")
    axes = figure.subplots()
    axes.grid(True, alpha=0.3)
    axes.set_axisbelow(True)
    return figure, axes


def _predicted_vs_actual(result: TrainResult) -> Plot:
    actual = result.evaluation[LABEL].to_numpy(np.float64)
    predicted = result.eval_predictions
    low = float(min(actual.min(), predicted.min()))
    high = float(max(actual.max(), predicted.max()))
    # Prices span orders of magnitude across metros: a log scale keeps cheap ones apart.
    logarithmic = low > 0 and high / low > 10
    if logarithmic:
        low, high = low / 1.15, high * 1.15
    else:
        low, high = low - 0.05 * (high - low), high + 0.05 * (high - low)
    figure, axes = _axes(7.5, 7)
    axes.scatter(
        actual,
        predicted,
        s=16,
        alpha=0.5,
        color=MODEL_COLOUR,
        edgecolors="none",
        label=f"evaluation rows ({len(actual)})",
    )
    axes.plot(
        [low, high],
        [low, high],
        color="black",
        linewidth=1,
        linestyle="--",
        label="y = x (exact prediction)",
    )
    if logarithmic:
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.xaxis.set_minor_formatter(NullFormatter())
        axes.yaxis.set_minor_formatter(NullFormatter())
    axes.xaxis.set_major_formatter(FuncFormatter(_money))
    axes.yaxis.set_major_formatter(FuncFormatter(_money))
    axes.set_xlim(low, high)
    axes.set_ylim(low, high)
    axes.set_aspect("equal")
    axes.set_xlabel("actual price")
    axes.set_ylabel("predicted price")
    axes.set_title("Predicted against actual price, evaluation split")
    axes.legend(loc="upper left")
    return Plot(
        "predicted_vs_actual.png",
        "Predicted against actual",
        "Each point is one evaluation row (a month newer than every training row); on the "
        "dashed line the prediction is exact"
        + ("; both axes are logarithmic." if logarithmic else "."),
        figure,
    )


def _error_by_city(result: TrainResult) -> Plot:
    evaluation = result.evaluation
    actual = evaluation[LABEL].to_numpy(np.float64)
    baseline = baseline_predictions(result.train, evaluation)
    errors = pd.DataFrame(
        {
            "city": evaluation[CITY_FULL].to_numpy(),
            "model": np.abs(result.eval_predictions - actual) / actual * 100,
            "baseline": np.abs(baseline - actual) / actual * 100,
        }
    )
    by_city = errors.groupby("city").agg(
        rows=("model", "size"), model=("model", "mean"), baseline=("baseline", "mean")
    )
    # The cities with the most rows, where a mean error means something; worst on top.
    shown = by_city.nlargest(TOP_CITIES, "rows").sort_values("model")
    positions = np.arange(len(shown))
    figure, axes = _axes(9, 1.5 + 0.42 * len(shown))
    axes.barh(positions + 0.2, shown["model"], height=0.4, color=MODEL_COLOUR, label="model")
    axes.barh(
        positions - 0.2,
        shown["baseline"],
        height=0.4,
        color=BASELINE_COLOUR,
        label="baseline (city median)",
    )
    axes.set_yticks(positions, [f"{city} ({rows})" for city, rows in shown["rows"].items()])
    axes.set_xlabel("mean absolute percentage error (%)")
    axes.set_title(f"Error by city, evaluation split ({len(shown)} cities with the most rows)")
    figure.legend(loc="outside lower center", ncols=2)
    return Plot(
        "error_by_city.png",
        "Error by city",
        "MAPE of the model and of the baseline per city_full over the evaluation rows; "
        "the number after each city is its count of evaluation rows.",
        figure,
    )


def _monthly_mae(frame: pd.DataFrame, predicted: np.ndarray) -> pd.Series:
    error = np.abs(predicted - frame[LABEL].to_numpy(np.float64))
    return pd.Series(error, index=pd.to_datetime(frame[DATE])).groupby(level=0).mean()


def _error_over_time(result: TrainResult) -> Plot:
    train, evaluation = result.train, result.evaluation
    in_sample = _monthly_mae(train, result.train_predictions)
    held_out = _monthly_mae(evaluation, result.eval_predictions)
    baseline = pd.concat(
        [
            _monthly_mae(train, baseline_predictions(train, train)),
            _monthly_mae(evaluation, baseline_predictions(train, evaluation)),
        ]
    )
    figure, axes = _axes(10, 4.8)
    half_month = pd.Timedelta(days=15)
    axes.axvspan(
        held_out.index.min() - half_month,
        held_out.index.max() + half_month,
        color="grey",
        alpha=0.15,
        label="evaluation months",
    )
    axes.plot(
        baseline.index,
        baseline.to_numpy(),
        color=BASELINE_COLOUR,
        linewidth=1,
        alpha=0.7,
        label="baseline (city median)",
    )
    axes.plot(
        in_sample.index,
        in_sample.to_numpy(),
        color=MODEL_COLOUR,
        linewidth=1,
        alpha=0.6,
        label="model, training months (in-sample)",
    )
    axes.plot(
        held_out.index,
        held_out.to_numpy(),
        color=MODEL_COLOUR,
        linewidth=1.8,
        marker="o",
        markersize=3,
        label="model, evaluation months",
    )
    axes.yaxis.set_major_formatter(FuncFormatter(_money))
    axes.set_ylim(bottom=0)
    axes.set_ylabel("mean absolute error per month")
    axes.set_title("Error over time")
    figure.legend(loc="outside lower center", ncols=4)
    return Plot(
        "error_over_time.png",
        "Error over time",
        "MAE per month. The shaded months are the evaluation split; before them the model's "
        "error is in-sample (rows it was trained on), so the gap shows how much it overfits.",
        figure,
    )


def _feature_importance(result: TrainResult) -> Plot:
    booster = result.bundle.model.booster_
    gain = np.asarray(booster.feature_importance(importance_type="gain"), np.float64)
    share = gain / (gain.sum() or 1.0) * 100
    order = np.argsort(share)[-TOP_FEATURES:]
    names = booster.feature_name()
    figure, axes = _axes(9, 1.5 + 0.38 * len(order))
    bars = axes.barh(
        [features.INPUT_OF.get(names[i], names[i]) for i in order], share[order], color=MODEL_COLOUR
    )
    axes.bar_label(bars, fmt="%.1f%%", padding=3, fontsize=9)
    axes.set_xlabel("share of the total split gain (%)")
    axes.set_title(f"Feature importance (LightGBM gain, top {len(order)})")
    return Plot(
        "feature_importance.png",
        "Feature importance",
        "How much each input's splits reduced the training loss, as a share of all splits. "
        "Engineered features carry the name of the input they come from.",
        figure,
    )


def _metrics_table(metrics: Mapping[str, RegressionMetrics]) -> str:
    rows = "".join(
        f"<tr><th>{html.escape(METRIC_NAMES.get(name, name))}</th>"
        f"<td>{_money(m['mae'])}</td><td>{_money(m['rmse'])}</td><td>{m['mape']:.2f}%</td>"
        f"<td>{'n/a' if m['r2'] is None else f'{m["r2"]:.3f}'}</td></tr>"
        for name, m in metrics.items()
    )
    return (
        "<table><thead><tr><th></th><th>MAE</th><th>RMSE</th><th>MAPE</th><th>R²</th></tr>"
        f"</thead><tbody>{rows}</tbody></table>"
    )


def _verdict(metrics: Mapping[str, RegressionMetrics]) -> str:
    model, baseline = metrics["model"]["mae"], metrics["baseline_city_median"]["mae"]
    if baseline <= 0:
        return ""
    change = 1 - model / baseline
    direction = "lower" if change >= 0 else "higher"
    return f"<p>The model's MAE is <b>{abs(change):.0%} {direction}</b> than the baseline's.</p>"


def _span(span: Mapping[str, Any]) -> str:
    return html.escape(f"{span['rows']:,} rows, {span['date_min']} to {span['date_max']}")


CSS = """
body { font: 15px/1.45 system-ui, sans-serif; color: #222; max-width: 1000px; margin: 2em auto;
       padding: 0 1em; }
h1 { margin-bottom: .2em; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2em 1em; }
dt { color: #666; } dd { margin: 0; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border-bottom: 1px solid #ddd; padding: .35em .8em; text-align: right; }
tbody th { text-align: left; font-weight: normal; }
figure { margin: 2em 0; } img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; }
"""


def _html(
    metrics: Mapping[str, RegressionMetrics], manifest: Mapping[str, Any], plots: list[Plot]
) -> str:
    facts = {
        "version": html.escape(str(manifest["version"])),
        "trained at": html.escape(str(manifest["trained_at"])),
        "source": html.escape(str(manifest["source"])),
        "training split": _span(manifest["training"]),
        "evaluation split": _span(manifest["evaluation"]),
        "features": str(len(manifest["features"])),
    }
    figures = "".join(
        f'<figure><h2>{html.escape(p.title)}</h2><img src="{html.escape(p.file)}" '
        f'alt="{html.escape(p.title)}"><figcaption>{html.escape(p.caption)}</figcaption></figure>'
        for p in plots
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Training report {facts["version"]}</title>
<style>{CSS}</style></head>
<body>
<h1>Training report</h1>
<dl>{"".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts.items())}</dl>
<h2>Metrics on the evaluation split</h2>
{_metrics_table(metrics)}
{_verdict(metrics)}
{figures}
</body></html>
"""
