//! Capsules: drivers and services as kernel extensions (not yet written).
