//! TCP: a listener and the streams it accepts or that connect out.

mod listener;
mod stream;

pub use self::listener::TcpListener;
pub use self::stream::TcpStream;
