//! The condition language: tokens, the parsed expression, and the compiled matcher an event
//! is tested against.

pub mod glob;
pub mod lexer;
pub mod matcher;
pub mod parser;
