# The frames benchmark's page in Streamlit with pandas: the same widgets, filter, group-by,
# metric row, 1,000-row data frame and line chart as the Runnel page in benches/frames_bench.rs.
# bench.py runs it with AppTest; `probe` carries the variant in and the script's own time out.
import time

_started = time.perf_counter()

import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402

import probe  # noqa: E402

cached = st.cache_data if probe.CACHE == "cache_data" else st.cache_resource


@cached
def load(path):
    return pd.read_csv(path, parse_dates=["date"])


sales = load(probe.CSV)
if probe.frame_bytes is None:
    probe.frame_bytes = int(sales.memory_usage(deep=True).sum())
region = st.selectbox("Region", ["North", "South", "East", "West"], key="region")
product = st.selectbox("Product", ["Widgets", "Gadgets", "Gizmos", "Doohickeys"], key="product")
rows = sales[(sales["region"] == region) & (sales["product"] == product)]
monthly = rows.groupby("month", as_index=False)[["revenue", "units"]].sum().sort_values("month")
kpi = st.columns(3)
kpi[0].metric("Orders", len(rows))
kpi[1].metric("Units", int(rows["units"].sum()))
kpi[2].metric("Revenue", float(rows["revenue"].sum()))
st.dataframe(rows.head(1000) if probe.TABLE == "head" else rows)
st.line_chart(monthly, x="month", y="revenue")

probe.script_times.append(time.perf_counter() - _started)
