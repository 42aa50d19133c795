//! `trailhound run`: service mode from a config file.
