/// Identifies a registered source in the events that [`Poll::poll`](crate::Poll::poll) returns.
///
/// A token is whatever number the caller chooses: an index into a slab, a pointer address, a
/// constant. ferrio hands it back bit for bit and never interprets it, so several sources may
/// share one token if the caller wishes. No value is reserved (`usize::MAX` included).
///
/// An event can still carry a token after its source was deregistered, if it was already in
/// the batch being handled; see
/// [Deregistering and dropping](crate::guide#deregistering-and-dropping).
///
/// ```
/// use ferrio::Token;
///
/// let token = Token(7);
/// assert_eq!(usize::from(token), 7);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Token(pub usize);

impl From<Token> for usize {
    fn from(token: Token) -> usize {
        token.0
    }
}
