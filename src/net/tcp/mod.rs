//! TCP: a listener, the streams it accepts or that connect out, and the socket that becomes
//! either after its options are set.

mod keepalive;
mod listener;
mod socket;
mod stream;

pub use self::keepalive::TcpKeepalive;
pub use self::listener::TcpListener;
pub use self::socket::TcpSocket;
pub use self::stream::TcpStream;
