import ZeroMQ
print("libzmq \(ZeroMQ.version)")
