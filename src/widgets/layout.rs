//! Containers: the sidebar and nested containers. Columns, tabs and forms build on these later.

use rhai::{Engine, EvalAltResult, Position};

use super::options::error;
use super::{Container, context, placed};
use crate::page::{ContainerId, SIDEBAR};

pub fn register(engine: &mut Engine) {
    engine.register_fn("sidebar", || Container { id: SIDEBAR });
    placed!(engine, "container", container, ());
}

fn container(parent: ContainerId, pos: Position) -> Result<Container, Box<EvalAltResult>> {
    match context::with(|c| c.page.open_container(parent))? {
        Some(id) => Ok(Container { id }),
        None => Err(error(format!("containers nest at most {} deep", crate::page::MAX_DEPTH), pos)),
    }
}
