//! The agent's log lines, sent two ways at once: into the agent's log
//! ring ([`omv_agent::Diag`], fetched by the host with `Logs` requests over
//! USB: the channel that needs no probe) and as defmt frames over RTT
//! (`defmt-rtt`, read through probe-rs by the harness when a debug probe is
//! attached). defmt-rtt does not block when no host reads: frames that do
//! not fit its buffer are dropped.

// Links the RTT transport that `defmt`'s macros write to.
use defmt_rtt as _;

/// Log `fmt` with `args` to defmt and to `diag` at board time `t_us`.
/// `defmt::println!`: always compiled in (defmt's leveled macros below
/// `error` are compiled out unless `DEFMT_LOG` is set at build time).
/// The format string is the same literal for both, so it may use only
/// what both understand (`{}` with integers, `bool`, `&str`).
macro_rules! line {
    ($diag:expr, $t_us:expr, $fmt:literal $(, $arg:expr)* $(,)?) => {{
        defmt::println!($fmt $(, $arg)*);
        $diag.log($t_us, format_args!($fmt $(, $arg)*));
    }};
}
pub(crate) use line;
