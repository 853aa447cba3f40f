
selu_softmax
XY"Selu
YP"Softmax*
axis