"""Deterministic, HouseTS-shaped demo rows, so a fresh clone can train and serve offline.

The values are synthetic but keep the dataset's structure: metros with their own
price levels, ZIP codes with stable census profiles, month-end dates with a yearly
trend, and market metrics that move with price. The same seed gives the same CSV.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from predict_fn.contract import NUMERIC_FIELDS

# (metro code, metro name, typical 2012 home value)
METROS = (
    ("ATL", "Atlanta-Sandy Springs-Alpharetta", 160_000),
    ("AUS", "Austin-Round Rock-Georgetown", 210_000),
    ("BOS", "Boston-Cambridge-Newton", 380_000),
    ("CHI", "Chicago-Naperville-Elgin", 210_000),
    ("DEN", "Denver-Aurora-Lakewood", 260_000),
    ("LAX", "Los Angeles-Long Beach-Anaheim", 450_000),
    ("MIA", "Miami-Fort Lauderdale-Pompano Beach", 200_000),
    ("NYC", "New York-Newark-Jersey City", 400_000),
    ("SEA", "Seattle-Tacoma-Bellevue", 320_000),
    ("SFO", "San Francisco-Oakland-Berkeley", 600_000),
)
ZIPS_PER_METRO = 12
HEADER = (
    "date",
    *NUMERIC_FIELDS[:12],
    "city",
    "zipcode",
    "year",
    *NUMERIC_FIELDS[12:-1],
    "price",
    "city_full",
)


def _zip_profiles(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for metro_index, (code, name, level) in enumerate(METROS):
        for z in range(ZIPS_PER_METRO):
            population = rng.integers(4_000, 90_000)
            rows.append(
                {
                    "city": code,
                    "city_full": name,
                    "zipcode": 10_000 + metro_index * 8_000 + z * 37,
                    "zip_factor": rng.lognormal(0.0, 0.35),
                    "metro_level": level,
                    "growth": rng.normal(0.045, 0.015),
                    "Total Population": float(population),
                    "Median Age": round(float(rng.normal(38, 5)), 1),
                    "Per Capita Income": float(rng.integers(18_000, 120_000)),
                    "Total Families Below Poverty": float(population * rng.uniform(0.3, 0.9)),
                    "Total Housing Units": float(population * rng.uniform(0.3, 0.5)),
                    "Median Rent": float(rng.integers(800, 3_200)),
                    "Total Labor Force": float(population * rng.uniform(0.45, 0.6)),
                    "Unemployed Population": float(population * rng.uniform(0.02, 0.08)),
                    "Total School Age Population": float(population * rng.uniform(0.7, 0.95)),
                    "Total School Enrollment": float(population * rng.uniform(0.7, 0.95)),
                    "Median Commute Time": float(population * rng.uniform(0.15, 0.45)),
                    **{
                        poi: float(rng.poisson(lam))
                        for poi, lam in (
                            ("bank", 8),
                            ("bus", 3),
                            ("hospital", 2),
                            ("mall", 1),
                            ("park", 25),
                            ("restaurant", 60),
                            ("school", 20),
                            ("station", 4),
                            ("supermarket", 6),
                        )
                    },
                }
            )
    return pd.DataFrame(rows)


def generate(rows: int, seed: int = 7) -> pd.DataFrame:
    """`rows` demo rows with the 39-column HouseTS header, deterministic for a seed."""
    rng = np.random.default_rng(seed)
    zips = _zip_profiles(rng)
    months = pd.date_range("2012-01-31", "2023-12-31", freq="ME")
    picked = zips.iloc[rng.integers(0, len(zips), rows)].reset_index(drop=True)
    dates = months[rng.integers(0, len(months), rows)]
    years = (dates.year - 2012) + (dates.month - 1) / 12
    price = picked["metro_level"] * picked["zip_factor"] * np.exp(picked["growth"] * years)
    price = price * rng.lognormal(0, 0.03, rows) * (1 + 0.02 * np.sin(dates.month / 12 * 2 * np.pi))
    sqft = rng.uniform(1_200, 2_600, rows)
    sold = rng.poisson(np.clip(picked["Total Population"] / 2_000, 2, 60)).astype(float)
    heat = np.clip(rng.normal(0.3, 0.15, rows) + 0.2 * np.sin(dates.month / 12 * np.pi), 0, 1)
    frame = picked.assign(
        date=dates.strftime("%Y-%m-%d"),
        year=dates.year,
        price=price,
        median_sale_price=np.round(price * rng.lognormal(0, 0.08, rows), -3),
        median_list_price=np.round(price * rng.lognormal(0.01, 0.08, rows), -3),
        median_ppsf=price / sqft,
        median_list_ppsf=price * 1.02 / sqft,
        homes_sold=sold,
        pending_sales=np.round(sold * rng.uniform(0.9, 1.3, rows)),
        new_listings=np.round(sold * rng.uniform(1.0, 1.5, rows)),
        inventory=np.round(sold * rng.uniform(1.0, 4.0, rows)),
        median_dom=np.round(rng.uniform(5, 90, rows) * (1.2 - heat)),
        avg_sale_to_list=0.96 + 0.08 * heat,
        sold_above_list=heat,
        off_market_in_two_weeks=np.clip(heat + rng.normal(0.1, 0.05, rows), 0, 1),
    )
    frame["Median Home Value"] = np.round(price * rng.uniform(0.85, 1.0, rows), -2)
    return frame[list(HEADER)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m training.demo_data", description=__doc__)
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True, help="CSV file to write")
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    generate(args.rows, args.seed).to_csv(args.out, index=False)
    print(f"wrote {args.rows} demo rows to {args.out}")


if __name__ == "__main__":
    main()
