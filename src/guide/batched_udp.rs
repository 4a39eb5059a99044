//! Batched UDP: many datagrams per call, segmentation offload, and when they pay (chapter 8 of
//! the [guide](super)).
//!
//! [`UdpBatch`](crate::net::UdpBatch), [`send_batch`](crate::net::send_batch) and
//! [`recv_batch`](crate::net::recv_batch) (also methods of `UdpSocket`, and usable on tokio's
//! sockets inside `try_io`) move many datagrams per call, with the metadata QUIC needs. Two
//! different savings hide behind them, and only one of them is large:
//!
//! - **Fewer system calls.** On Linux one `sendmmsg` or `recvmmsg` carries up to 64
//!   datagrams: a UDP flood costs 0.05 system calls per datagram received instead of 1.
//!   That saves the entry into the kernel, not the kernel's work for each datagram (routing,
//!   socket buffers, copies, control messages), which dominates on a recent kernel and CPU:
//!   on the machine of `BENCHMARKS.md` the receiver's CPU per datagram stayed the same. It
//!   pays where system calls are dear: kernels with speculative-execution mitigations on
//!   older CPUs, seccomp filters, tracing.
//! - **Segmentation offload.** A train of datagrams of one size to one destination
//!   ([`Transmit::segment_size`](crate::net::Transmit::segment_size)) goes through the
//!   sender's stack once and is cut by the kernel or the network card (GSO); with GRO the
//!   receiver gets such trains back in one buffer, the metadata giving the stride. That
//!   divides the per-datagram work itself: `examples/udp_batch.rs` moves 1200-byte datagrams
//!   over loopback for about a tenth of the CPU time of one call per datagram, and the
//!   `udp_gso_bulk` benchmark receives them for a twelfth of mio's.
//!
//! So batch where datagrams come in bursts, and build trains wherever several datagrams of
//! one size go to one peer (the packets of one QUIC connection in one flush). Keep one
//! `UdpBatch` per socket; give receive buffers of 64 KiB while GRO is on (a train longer than
//! its buffer is cut and marked `truncated`); drain until `WouldBlock` as with any other
//! receive. A socket with GRO on hands trains to plain `recv_from` calls too, as one long
//! datagram: mix the two kinds of receive only after `set_gro(.., false)`.
//!
//! Ask for received metadata only if you use it. `UdpBatch::new` has the kernel write packet
//! info and the TOS byte beside every datagram received, which in a flood of small datagrams
//! costs some 55–90 ns per datagram on the machine of `BENCHMARKS.md` (15 % of the receiver's
//! CPU in its profile). A server that needs neither the local address a datagram was sent to
//! (one bound to a single address, or that answers from the socket's own) nor ECN feedback
//! (no congestion control reading it, as in plain UDP services; QUIC stacks do read it)
//! makes its state with
//! [`UdpBatch::without_metadata`](crate::net::UdpBatch::without_metadata): GSO, GRO and
//! truncation work as before, and sending keeps its ECN marks and source addresses. In the
//! saturated flood of the benchmarks that brings ferrio's receiver from about mio's CPU per
//! datagram to 0.73–0.98× of it, depending on what the rest costs at the time.
//!
//! Linux and Android have all of it. The other Unix systems run the same calls as a loop of
//! `sendmsg` and `recvmsg`, with the same results and no saving. The metadata QUIC needs
//! (ECN marks both ways, the source address to send from, the local address and interface a
//! datagram arrived on) travels in their control messages on Apple's systems, FreeBSD, and
//! for IPv6 on NetBSD, OpenBSD and DragonFly, whose IPv4 sockets carry no ECN
//! ([`UdpBatch::carries_metadata`](crate::net::UdpBatch::carries_metadata) says what a socket
//! carries); the other Unix systems carry none.
//! Where there is no `sendmsg` or `recvmsg` (Horizon, Hermit, WASI preview 2), a send is one
//! `sendto` per datagram and a receive one `recvfrom` per call, and a truncated datagram is not
//! flagged there.
//!
//! Windows has no call for several messages, so a batch is a loop of `WSASendMsg` and
//! `WSARecvMsg`, one call per message, carrying packet information (`IP_PKTINFO`,
//! `IPV6_PKTINFO`) and, from Windows 10, ECN (`IP_ECN`, `IPV6_ECN`). Its offloads divide the
//! per-datagram work as GSO and GRO do: a train goes down in one call where the stack
//! accepts `UDP_SEND_MSG_SIZE` (USO, Windows 10 2004 and later), and with `set_gro(.., true)`
//! the receiver gets trains in one buffer (`UDP_RECV_MAX_COALESCED_SIZE`, URO), the stride
//! from a `UDP_COALESCED_INFO` control message. URO stays off until asked for. Where the
//! socket's provider lacks `WSARecvMsg` or packet info, the calls fall back to `sendto` and
//! `recvfrom`. Under Wine 8 (ferrio's Windows tests) `WSASendMsg`, `WSARecvMsg`, packet info
//! on receive and `IP_RECVTOS` work; `IP_RECVECN`, USO and URO are refused and the control
//! messages of sent datagrams are not applied, so `carries_metadata` is `false` there and
//! trains go datagram by datagram.
