//! TCP: a listener, the streams it accepts or that connect out, and the socket that becomes
//! either after its options are set.

// WASI preview 1 cannot create sockets nor set their options: no `TcpSocket` there.
#[cfg(not(ferrio_wasi))]
mod keepalive;
mod listener;
#[cfg(not(ferrio_wasi))]
mod socket;
mod stream;

#[cfg(not(ferrio_wasi))]
pub use self::keepalive::TcpKeepalive;
pub use self::listener::TcpListener;
#[cfg(not(ferrio_wasi))]
pub use self::socket::TcpSocket;
pub use self::stream::TcpStream;
