//! [`Boxed`]: a behaviour whose per-connection handler lives on the heap.
//!
//! The swarm runs every connection as a task whose future holds the
//! connection's handler by value, and it holds it more than once: the
//! closing paths move the handler out of the connection while the
//! connection itself stays in the future's layout. A [`Toggle`]d behaviour's
//! handler is an `Option<H>`, as large when disabled as when enabled
//! (identify's is 3.4 KB). Wrapping the NAT behaviours in `Toggle<Boxed<_>>`
//! makes each of them a pointer in that future, allocated only when the
//! behaviour is on (the membership behaviour is boxed too): the heap of a
//! node at N = 32 fell from about 2,960 to 2,600 kB, some 11 KB per
//! connection (docs/performance.md, "Memory").
//!
//! [`Toggle`]: libp2p::swarm::behaviour::toggle::Toggle

use std::ops::{Deref, DerefMut};
use std::task::{Context, Poll};

use libp2p::core::transport::PortUse;
use libp2p::core::Endpoint;
use libp2p::swarm::handler::ConnectionEvent;
use libp2p::swarm::{
    ConnectionDenied, ConnectionHandler, ConnectionHandlerEvent, ConnectionId, FromSwarm,
    NetworkBehaviour, SubstreamProtocol, THandler, THandlerInEvent, THandlerOutEvent, ToSwarm,
};
use libp2p::{Multiaddr, PeerId};

/// `B`, with its connection handlers boxed. Derefs to `B`.
#[derive(Debug)]
pub(crate) struct Boxed<B>(pub(crate) B);

impl<B> Deref for Boxed<B> {
    type Target = B;
    fn deref(&self) -> &B {
        &self.0
    }
}

impl<B> DerefMut for Boxed<B> {
    fn deref_mut(&mut self) -> &mut B {
        &mut self.0
    }
}

impl<B: NetworkBehaviour> NetworkBehaviour for Boxed<B> {
    type ConnectionHandler = BoxedHandler<B::ConnectionHandler>;
    type ToSwarm = B::ToSwarm;

    fn handle_pending_inbound_connection(
        &mut self,
        id: ConnectionId,
        local: &Multiaddr,
        remote: &Multiaddr,
    ) -> Result<(), ConnectionDenied> {
        self.0.handle_pending_inbound_connection(id, local, remote)
    }

    fn handle_established_inbound_connection(
        &mut self,
        id: ConnectionId,
        peer: PeerId,
        local: &Multiaddr,
        remote: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        let h = self
            .0
            .handle_established_inbound_connection(id, peer, local, remote)?;
        Ok(BoxedHandler(Box::new(h)))
    }

    fn handle_pending_outbound_connection(
        &mut self,
        id: ConnectionId,
        peer: Option<PeerId>,
        addresses: &[Multiaddr],
        role: Endpoint,
    ) -> Result<Vec<Multiaddr>, ConnectionDenied> {
        self.0
            .handle_pending_outbound_connection(id, peer, addresses, role)
    }

    fn handle_established_outbound_connection(
        &mut self,
        id: ConnectionId,
        peer: PeerId,
        addr: &Multiaddr,
        role: Endpoint,
        port_use: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        let h = self
            .0
            .handle_established_outbound_connection(id, peer, addr, role, port_use)?;
        Ok(BoxedHandler(Box::new(h)))
    }

    fn on_swarm_event(&mut self, event: FromSwarm<'_>) {
        self.0.on_swarm_event(event);
    }

    fn on_connection_handler_event(
        &mut self,
        peer: PeerId,
        id: ConnectionId,
        event: THandlerOutEvent<Self>,
    ) {
        self.0.on_connection_handler_event(peer, id, event);
    }

    fn poll(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<ToSwarm<Self::ToSwarm, THandlerInEvent<Self>>> {
        self.0.poll(cx)
    }
}

/// A connection handler on the heap; everything is forwarded to it.
pub(crate) struct BoxedHandler<H>(Box<H>);

impl<H: ConnectionHandler> ConnectionHandler for BoxedHandler<H> {
    type FromBehaviour = H::FromBehaviour;
    type ToBehaviour = H::ToBehaviour;
    type InboundProtocol = H::InboundProtocol;
    type OutboundProtocol = H::OutboundProtocol;
    type InboundOpenInfo = H::InboundOpenInfo;
    type OutboundOpenInfo = H::OutboundOpenInfo;

    fn listen_protocol(&self) -> SubstreamProtocol<Self::InboundProtocol, Self::InboundOpenInfo> {
        self.0.listen_protocol()
    }

    fn connection_keep_alive(&self) -> bool {
        self.0.connection_keep_alive()
    }

    fn poll(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<
        ConnectionHandlerEvent<Self::OutboundProtocol, Self::OutboundOpenInfo, Self::ToBehaviour>,
    > {
        self.0.poll(cx)
    }

    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<Option<Self::ToBehaviour>> {
        self.0.poll_close(cx)
    }

    fn on_behaviour_event(&mut self, event: Self::FromBehaviour) {
        self.0.on_behaviour_event(event);
    }

    fn on_connection_event(
        &mut self,
        event: ConnectionEvent<
            '_,
            Self::InboundProtocol,
            Self::OutboundProtocol,
            Self::InboundOpenInfo,
            Self::OutboundOpenInfo,
        >,
    ) {
        self.0.on_connection_event(event);
    }
}

#[cfg(test)]
mod tests {
    use libp2p::swarm::behaviour::toggle::Toggle;
    use libp2p::swarm::NetworkBehaviour;
    use libp2p::{dcutr, identify};

    use super::Boxed;

    type Handler<B> = <B as NetworkBehaviour>::ConnectionHandler;

    #[test]
    fn a_toggled_boxed_behaviour_costs_a_pointer_in_each_connection_task() {
        let inline = std::mem::size_of::<Handler<Toggle<identify::Behaviour>>>();
        let boxed = std::mem::size_of::<Handler<Toggle<Boxed<identify::Behaviour>>>>();
        assert!(inline > 1024, "identify's handler is {inline} bytes inline");
        assert_eq!(boxed, std::mem::size_of::<usize>());
        let boxed = std::mem::size_of::<Handler<Toggle<Boxed<dcutr::Behaviour>>>>();
        assert_eq!(boxed, std::mem::size_of::<usize>());
    }
}
