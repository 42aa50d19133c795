//! The `trailhound` command line.

mod cli;

// Records are decoded and normalized on the reading thread and freed on the workers; glibc's
// allocator handles that cross-thread churn poorly (malloc and free were 40% of a scan).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
