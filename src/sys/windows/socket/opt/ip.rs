//! IPv4 options: time-to-live and type of service (both in the shared table).

use windows_sys::Win32::Networking::WinSock as c;

use super::{getsockopt, setsockopt, Int};

crate::sys::socket_api::plain_options!(ip);
