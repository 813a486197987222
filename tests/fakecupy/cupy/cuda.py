class Device:
    def synchronize(self):
        pass
