//! Unix-domain sockets: streams, their listener, and datagrams.

mod datagram;
mod listener;
mod stream;

pub use self::datagram::UnixDatagram;
pub use self::listener::UnixListener;
pub use self::stream::UnixStream;
