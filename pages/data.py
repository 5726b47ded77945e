"""Data: what is loaded, its validation findings, and upload of FOCUS and cloud billing files into the cache."""

import pandas as pd
import streamlit as st

from analysis.focus.loader import FocusLoadError
from analysis.store.cache import CacheError
from analysis.store.load import load_uploads
from app.door import cache, engine_name, forget
from app.door import summary as loaded_summary
from app.permits import require
from app.sync_panel import sync_section
from app.ui import empty_state, md, money, plural, utc_time

st.title("Data")
require("load", "see or change the loaded sources (an admin's task)")
c = cache()
manifest = c.manifest()
summary = loaded_summary()

if summary["rows"]:
    period = summary["period"]
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Rows", f"{summary['rows']:,}", border=True)
    c2.metric("Providers", len(summary["providers"]), help=md(", ".join(summary["providers"])), border=True)
    c3.metric("Sub-accounts", summary["sub_accounts"], border=True)
    c4.metric("Days of data", f"{(period[1] - period[0]).days + 1:,}", border=True,
              help=f"{period[0]:%d %b %Y} to {period[1]:%d %b %Y} (UTC)")
    age = (pd.Timestamp.now(tz="UTC").date() - period[1]).days
    st.caption(f"Engine: {engine_name()} · period {period[0]:%d %b %Y} – {period[1]:%d %b %Y} (UTC) · last charge day {period[1]:%d %b %Y} ({age} day{'s' if age != 1 else ''} ago) · "
               f"cache updated {utc_time(manifest['updated'])} (version {manifest['version']}) · "
               f"currencies: {', '.join(summary['currencies'])}")
    totals = pd.DataFrame(summary["totals"]).T.rename_axis("Currency").reset_index()
    st.dataframe(totals, hide_index=True, column_config={m: st.column_config.NumberColumn(m, format="accounting")
                                                          for m in totals.columns if m != "Currency"})
else:
    empty_state("Nothing is loaded yet. Upload FOCUS files below, or run `make sample` for the embedded sample.")

st.subheader("Sources")
sources = c.sources()
if sources:
    rows = [
        {
            "Source": s.name, "Kind": s.kind, "Rows": s.summary["rows"],
            "Providers": ", ".join(s.summary["providers"]) or "(none)",
            "Currencies": ", ".join(s.summary["currencies"]),
            "Period": " – ".join(s.summary["period"] or []),
            "Added": utc_time(s.added), "Findings": len(s.findings),
        }
        for s in sources
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                 column_config={"Rows": st.column_config.NumberColumn(format="localized")})
    for s in sources:
        with st.expander(f"{md(s.name)}: {plural(len(s.findings), 'validation finding')}, totals and removal"):
            for currency, metrics in s.summary["totals"].items():
                st.markdown(f"**{md(currency)}** · " + " · ".join(f"{m} {money(v, currency, precise=True)}"
                                                          for m, v in metrics.items()))
            for finding in s.findings:
                st.markdown(f"- {md(finding)}")
            sure = st.checkbox(f"Yes, remove {md(s.name)} ({plural(s.summary['rows'], 'row')}) from the cache",
                               key=f"rm_sure_{s.id}")
            if st.button("Remove this source from the cache", key=f"rm_{s.id}", icon=":material/delete:",
                         disabled=not sure, help="Tick the box first: a removed source must be loaded again."):
                c.remove_source(s.id)
                forget()
                st.rerun()
else:
    st.caption("No sources loaded.")

sync_section(c)

st.subheader("Upload billing files")
st.markdown("CSV (optionally gzipped), Parquet or JSON exports in FOCUS 1.0–1.3 columns, or the providers' own: "
            "AWS legacy CUR and CUR 2.0, Azure cost details (actual and amortized: upload the pair together) and "
            "FocusCost, OCI cost reports and FOCUS reports, Google Cloud's BigQuery billing export (Parquet, JSON "
            "lines or flattened CSV), its FOCUS export and its old JSON file export, converted to FOCUS as they "
            "load. All files of one upload are validated first and loaded together: if any is rejected, nothing "
            "changes. A newer export of a billing period already loaded (same provider, billing account and month) "
            "replaces the older one.")
for state, headline, details in st.session_state.pop("upload_log", []):
    if state == "error":
        st.error(f"**{md(headline)}**" + "".join(f"\n- {md(d)}" for d in details if d.strip()),
                 icon=":material/block:")
    else:
        st.success(f"**{md(headline)}**" + "".join(f"\n- {md(d)}" for d in details), icon=":material/check_circle:")
with st.form("upload", clear_on_submit=True):
    uploads = st.file_uploader("Billing files (CSV, CSV.GZ, Parquet or JSON)", accept_multiple_files=True,
                               help="Any other file is checked too, and the message says why it cannot be read.")
    keep_both = st.checkbox("Keep older exports of the same billing period (add, don't replace)",
                            help="Only for exports that hold different charges of the same month.")
    submitted = st.form_submit_button("Validate and load", icon=":material/upload:")
if submitted and uploads:
    names = ", ".join(u.name for u in uploads)
    with st.spinner(f"Validating and loading {len(uploads)} file(s)…"):
        try:
            result = load_uploads(c, [(u.name, u.getvalue()) for u in uploads], keep_both=keep_both)
        except (FocusLoadError, CacheError) as error:
            log = [("error", f"Not loaded: {names}. A rejected file stops the whole upload, so nothing changed.",
                    str(error).splitlines())]
        else:
            rows = ", ".join(f"{s.name}: {s.summary['rows']:,} rows loaded" for s in result.sources)
            log = [("success", rows + ".", [*result.messages(), *(f for s in result.sources for f in s.findings)])]
    st.session_state["upload_log"] = log
    forget()
    st.rerun()
