"""Driving the real app from outside its process, as a person (or a screen reader) would.

``desktop.Desktop`` is a private X session: Xvfb, icewm (a window manager with an XEmbed tray),
a private D-Bus session with the AT-SPI bus, and the X tools that look at it (xdotool, xprop,
xclip). ``accessibility.Accessibility`` reads the app's accessibility tree (AT-SPI), to find
a button or a menu item by its name and where it is on the screen. ``person.Person`` clicks
it there with the mouse and reads the screen back: which windows are shown, the clipboard.

Nothing in the test process holds a Qt object of the app: a window that the app itself does
not keep alive is not seen.
"""
