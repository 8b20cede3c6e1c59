// libzmq's public header (Debian libzmq3-dev). pkg-config is deliberately not named: its -isystem flag
// makes SwiftPM warn on every build, and the header lives in /usr/include anyway.
#include <zmq.h>
