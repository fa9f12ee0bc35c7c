//! The tokio runtime SQL runs on: a small one of its own, so that the pools outlive any HTTP
//! worker, and a script's blocking thread waits for a query without holding an async worker.

use std::future::Future;
use std::time::Duration;

use tokio::runtime::{Builder, Handle, Runtime};

pub struct SqlRuntime {
    handle: Handle,
    /// Always `Some` until dropped (a runtime cannot be dropped inside another one's context,
    /// so `Drop` takes it out and shuts it down in the background).
    runtime: Option<Runtime>,
}

impl SqlRuntime {
    pub fn start() -> std::io::Result<Self> {
        let runtime = Builder::new_multi_thread().worker_threads(2).thread_name("runnel-sql").enable_all().build()?;
        Ok(Self { handle: runtime.handle().clone(), runtime: Some(runtime) })
    }

    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Runs `work` on this runtime and waits for its result on the calling thread, which must be
    /// allowed to block (a script's run is). `None` when it takes longer than `bound`: the work
    /// is then cancelled.
    pub fn wait<T: Send + 'static>(
        &self,
        work: impl Future<Output = T> + Send + 'static,
        bound: Duration,
    ) -> Option<T> {
        let (sender, receiver) = std::sync::mpsc::sync_channel(1);
        let task = self.handle().spawn(async move {
            let _ = sender.send(work.await);
        });
        let result = receiver.recv_timeout(bound).ok();
        if result.is_none() {
            task.abort();
        }
        result
    }
}

impl Drop for SqlRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
