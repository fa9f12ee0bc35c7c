//! `write_stream(source)`, as Streamlit's: shows text chunks as they arrive, appended to one
//! markdown element that the viewer sees grow (each chunk is a [`live::flush`]), and returns
//! the whole text. A source is an array of chunks, a function called for the next chunk until
//! it returns `()` (Rhai's generator), or a streamed HTTP answer (`http_stream_open`). The
//! run's limits bound it: its time, its string size, and its array size as the most chunks.

use rhai::{Array, Dynamic, Engine, EvalAltResult, FnPtr, NativeCallContext, Position};

use super::http::TokenStream;
use super::options::error;
use super::{Container, context, convert, deadline, live};
use crate::page::{ContainerId, Element, MAIN};

type Res<T> = Result<T, Box<EvalAltResult>>;

/// The most chunks when the engine sets no array size.
const MAX_CHUNKS: usize = 100_000;

pub fn register(engine: &mut Engine) {
    rhai::FuncRegistration::new("write_stream")
        .with_params_info(["source: Dynamic", "String"])
        .register_into_engine(engine, |ctx: NativeCallContext, source: Dynamic| write_stream(&ctx, MAIN, source));
    rhai::FuncRegistration::new("write_stream")
        .with_params_info(["container: Container", "source: Dynamic", "String"])
        .register_into_engine(engine, |ctx: NativeCallContext, target: &mut Container, source: Dynamic| {
            write_stream(&ctx, target.id, source)
        });
}

/// Where the chunks come from.
enum Source {
    Items(std::vec::IntoIter<Dynamic>),
    Generator(FnPtr),
    Http(TokenStream),
}

impl Source {
    fn of(value: Dynamic, pos: Position) -> Res<Self> {
        let kind = value.type_name();
        if value.is_array() {
            return Ok(Self::Items(value.cast::<Array>().into_iter()));
        }
        if let Some(f) = value.clone().try_cast::<FnPtr>() {
            return Ok(Self::Generator(f));
        }
        match value.try_cast::<TokenStream>() {
            Some(stream) => Ok(Self::Http(stream)),
            None => Err(error(
                format!(
                    "write_stream takes an array of chunks, a function that returns the next chunk (or () when \
                     done), or http_stream_open(url, …); not {kind}"
                ),
                pos,
            )),
        }
    }

    /// The next chunk; `None` at the end.
    fn next(&mut self, ctx: &NativeCallContext) -> Res<Option<Dynamic>> {
        match self {
            Self::Items(items) => Ok(items.next()),
            Self::Generator(f) => {
                let chunk = f.call_within_context::<Dynamic>(ctx, ())?;
                Ok((!chunk.is_unit()).then_some(chunk))
            }
            Self::Http(stream) => Ok(stream.next_token(ctx.call_position())?.map(Dynamic::from)),
        }
    }
}

fn write_stream(ctx: &NativeCallContext, target: ContainerId, source: Dynamic) -> Res<String> {
    let pos = ctx.call_position();
    let mut source = Source::of(source, pos)?;
    let max_len = ctx.engine().max_string_size();
    let max_chunks = Some(ctx.engine().max_array_size()).filter(|n| *n > 0).unwrap_or(MAX_CHUNKS);
    let mut shown = Shown::start(target)?;
    let mut text = String::new();
    let mut count = 0;
    while let Some(chunk) = source.next(ctx)? {
        count += 1;
        if count > max_chunks {
            return Err(error(format!("write_stream: more than {max_chunks} chunks (the run's array size)"), pos));
        }
        if let Some(marker) = deadline::passed() {
            return Err(context::end_run(marker, pos));
        }
        let piece = chunk_text(&chunk, pos)?;
        if piece.is_empty() {
            continue;
        }
        text.push_str(&piece);
        if max_len > 0 && text.len() > max_len {
            let message = format!("write_stream: the text is longer than {max_len} bytes (the run's string size)");
            return Err(error(message, pos));
        }
        shown.update(&text)?;
        live::flush(pos)?;
    }
    Ok(text)
}

/// A chunk as text: text, or a number, a boolean or a character written out; `()` is nothing.
fn chunk_text(chunk: &Dynamic, pos: Position) -> Res<String> {
    if chunk.is_unit() {
        Ok(String::new())
    } else if chunk.is_string() || chunk.is_char() || chunk.is_int() || chunk.is_float() || chunk.is_bool() {
        Ok(convert::display(chunk))
    } else {
        Err(error(format!("write_stream: a chunk is text, not {}", chunk.type_name()), pos))
    }
}

/// The markdown element that shows the text so far.
struct Shown {
    target: ContainerId,
    index: usize,
}

impl Shown {
    fn start(target: ContainerId) -> Res<Self> {
        context::with(|c| {
            c.page.push(target, Element::Markdown(String::new()));
            Self { target, index: c.page.containers[target].children.len() - 1 }
        })
    }

    /// Shows `text`, in place (drawn anew if something took the element away meanwhile).
    fn update(&mut self, text: &str) -> Res<()> {
        let html = super::display::markdown(text);
        context::with(|c| match c.page.containers[self.target].children.get_mut(self.index) {
            Some(element @ Element::Markdown(_)) => *element = Element::Markdown(html),
            _ => {
                c.page.push(self.target, Element::Markdown(html));
                self.index = c.page.containers[self.target].children.len() - 1;
            }
        })
    }
}
