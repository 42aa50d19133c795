//! The wasmtime engine: component model on, epoch interruption for deadlines, and the
//! thread that advances the epoch.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::EngineSettings;

/// A wasmtime engine plus its epoch ticker; dropping it stops the ticker.
pub struct WasmRuntime {
    pub engine: wasmtime::Engine,
    pub epoch_tick: Duration,
    stop: Arc<AtomicBool>,
    ticker: Option<JoinHandle<()>>,
}

impl WasmRuntime {
    /// # Errors
    /// wasmtime rejects the configuration (not expected on supported platforms).
    pub fn new(settings: &EngineSettings) -> wasmtime::Result<Self> {
        let mut config = wasmtime::Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        config.cranelift_opt_level(wasmtime::OptLevel::Speed);
        let engine = wasmtime::Engine::new(&config)?;

        let stop = Arc::new(AtomicBool::new(false));
        let ticker = {
            let engine = engine.clone();
            let stop = stop.clone();
            let tick = settings.epoch_tick;
            std::thread::Builder::new().name("epoch-ticker".into()).spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(tick);
                    engine.increment_epoch();
                }
            })?
        };
        Ok(WasmRuntime { engine, epoch_tick: settings.epoch_tick, stop, ticker: Some(ticker) })
    }

    /// Epoch ticks that make up `deadline`, at least one.
    pub fn ticks(&self, deadline: Duration) -> u64 {
        (deadline.as_nanos() / self.epoch_tick.as_nanos().max(1)).max(1) as u64
    }
}

impl Drop for WasmRuntime {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(ticker) = self.ticker.take() {
            let _ = ticker.join();
        }
    }
}
