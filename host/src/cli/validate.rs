//! `trailhound validate`: check a config file without running it.
