//! The severity colours: one strong colour (markers, borders, the legend) and one light tint
//! (node fills) per severity, written once for the graph, the tables and the legend.

use trailhound_sdk::Severity;

/// Colours of one severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colours {
    /// Markers, node borders, badges: `#rrggbb`.
    pub strong: &'static str,
    /// Node fills.
    pub tint: &'static str,
    /// Text on the strong colour (dark on the light amber of medium, white elsewhere).
    pub on_strong: &'static str,
}

/// The colours of `severity`.
pub fn colours(severity: Severity) -> Colours {
    match severity {
        Severity::Info => Colours { strong: "#607d8b", tint: "#eceff1", on_strong: "#ffffff" },
        Severity::Low => Colours { strong: "#1e88e5", tint: "#e3f2fd", on_strong: "#ffffff" },
        Severity::Medium => Colours { strong: "#f9a825", tint: "#fff8e1", on_strong: "#000000" },
        Severity::High => Colours { strong: "#e65100", tint: "#fff3e0", on_strong: "#ffffff" },
        Severity::Critical => Colours { strong: "#b71c1c", tint: "#ffebee", on_strong: "#ffffff" },
    }
}

/// A node nothing happened at.
pub const QUIET: Colours = Colours { strong: "#9e9e9e", tint: "#f5f5f5", on_strong: "#ffffff" };

/// `(r, g, b)` of a `#rrggbb` colour of this palette.
pub fn rgb(colour: &str) -> (u8, u8, u8) {
    let channel = |at: usize| u8::from_str_radix(colour.get(at..at + 2).unwrap_or("00"), 16).unwrap_or(0);
    (channel(1), channel(3), channel(5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_strong_colour_is_distinct() {
        let strong: Vec<_> = Severity::ALL.iter().map(|s| colours(*s).strong).collect();
        for (i, a) in strong.iter().enumerate() {
            assert!(strong[i + 1..].iter().all(|b| b != a), "{a} repeats");
        }
        assert_eq!(rgb("#e65100"), (0xe6, 0x51, 0x00));
    }
}
