//! Unix-domain sockets: streams, their listener, and datagrams.

/// A constructor that takes a Unix-domain address (`$address`, made into a socket by
/// `$make`) and its shorthand that takes a filesystem path, each with its documentation.
macro_rules! unix_constructors {
    (
        $(#[$path_doc:meta])* fn $by_path:ident(path);
        $(#[$addr_doc:meta])* fn $by_addr:ident($address:ident) = $make:expr;
    ) => {
        $(#[$path_doc])*
        pub fn $by_path<P: AsRef<::std::path::Path>>(path: P) -> ::std::io::Result<Self> {
            Self::$by_addr(&::std::os::unix::net::SocketAddr::from_pathname(path)?)
        }

        $(#[$addr_doc])*
        pub fn $by_addr($address: &::std::os::unix::net::SocketAddr) -> ::std::io::Result<Self> {
            $make.map(Self::from)
        }
    };
}

// Emscripten's Unix-domain sockets are streams only (mio has no `UnixDatagram` there either).
#[cfg(not(ferrio_no_uds_dgram))]
mod datagram;
mod listener;
mod stream;

#[cfg(not(ferrio_no_uds_dgram))]
pub use self::datagram::UnixDatagram;
pub use self::listener::UnixListener;
pub use self::stream::UnixStream;
