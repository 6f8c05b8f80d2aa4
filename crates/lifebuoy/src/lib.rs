//! lifebuoy: libp2p driver (in progress).
