"""Network incidents: VPN, Wi-Fi and the office LAN."""

from typing import Final

from keel.demo.topics.base import R, Report, Topic

NETWORK: Final[tuple[Topic, ...]] = (
    Topic(
        category="Network",
        subcategory="VPN",
        group="network",
        service="VPN",
        cis=("vpn-gw-01",),
        desk_fixable=False,
        reports=(
            Report(
                levels="MH",
                title="VPN disconnects every few minutes",
                description=(
                    "Since this morning my VPN session drops every 5 to 10 minutes when I work from home. I have to "
                    "enter my token again each time, so Teams calls keep cutting out."
                ),
                diagnosis=(
                    "vpn-gw-01 logs show the tunnel torn down on dead-peer-detection timeout; the caller's home router "
                    "drops idle UDP flows."
                ),
                code=R.SOLVED_PERMANENTLY,
                fix=(
                    "Raised the dead-peer-detection interval on the remote-staff profile from 30 s to 120 s. The "
                    "caller stayed connected for two hours."
                ),
            ),
            Report(
                levels="LM",
                title="Cannot connect to the VPN from a hotel network",
                description=(
                    "I am travelling this week. On the hotel Wi-Fi the VPN client says 'Gateway unreachable'. It works "
                    "over my phone's hotspot, but that is slow and expensive."
                ),
                diagnosis="The hotel network blocks UDP 4500; RADIUS accepts the caller, the tunnel never comes up.",
                code=R.SOLVED_WORKAROUND,
                fix="Switched the client to the TCP 443 fallback, which the hotel network allows.",
            ),
            Report(
                levels="HH",
                title="VPN down for all remote staff",
                description=(
                    "Nobody in the sales team can connect to the VPN; the client stops at 'Authenticating…'. About "
                    "forty people are working from home today."
                ),
                diagnosis=(
                    "Clients reject vpn-gw-01's certificate chain: the intermediate certificate expired at 07:00."
                ),
                code=R.SOLVED_PERMANENTLY,
                fix=(
                    "Renewed the intermediate certificate on vpn-gw-01 and restarted the service; remote staff can "
                    "connect again."
                ),
            ),
            Report(
                levels="LL",
                title="VPN client asks to update at every sign-in",
                description=(
                    "Each time I start the VPN client it offers version 5.2; I click update, it restarts and asks "
                    "again the next day."
                ),
                diagnosis="The laptop is missing from the software-centre collection, so the update never sticks.",
                code=R.SOLVED_REMOTELY,
                fix="Added the laptop to the collection and pushed client 5.2; the loop stopped.",
            ),
        ),
        alerts=(
            Report(
                levels="HH",
                title="vpn-gw-01: active tunnels dropped to 0",
                description='Alertmanager: vpn_active_tunnels{instance="vpn-gw-01"} == 0 for 5m (usual: 180–260).',
                diagnosis="vpn-gw-01 crashed on a memory leak in firmware 9.1.3 (vendor advisory VA-2291).",
                code=R.SOLVED_WORKAROUND,
                fix="Failed over to the standby gateway and scheduled the firmware upgrade.",
            ),
        ),
    ),
    Topic(
        category="Network",
        subcategory="Wi-Fi",
        group="network",
        service="Workplace",
        cis=("wifi-controller-01",),
        desk_fixable=False,
        reports=(
            Report(
                levels="MM",
                title="Wi-Fi keeps dropping in meeting room 4.12",
                description=(
                    "In room 4.12 laptops lose the Wi-Fi every few minutes. Customer presentations keep freezing."
                ),
                diagnosis=(
                    "Access point ap-4-12 rebooted 14 times today; the PoE budget of the floor switch is exhausted."
                ),
                code=R.SOLVED_PERMANENTLY,
                fix="Moved ap-4-12 to a switch port with enough PoE budget; no drops since.",
            ),
            Report(
                levels="HM",
                title="No Wi-Fi on the third floor",
                description=(
                    "All laptops on floor 3 show 'No internet, secured'. The docking stations with cable still work."
                ),
                diagnosis="The new access points on floor 3 joined wifi-controller-01 without the staff SSID profile.",
                code=R.SOLVED_PERMANENTLY,
                fix="Applied the staff profile to the floor 3 access point group.",
            ),
            Report(
                levels="LL",
                title="Guest Wi-Fi voucher page does not load",
                description=(
                    "Our visitors cannot get online: the guest network's voucher page stays blank on their phones."
                ),
                diagnosis="The captive portal certificate expired yesterday; phones refuse the redirect silently.",
                code=R.SOLVED_PERMANENTLY,
                fix="Installed a new certificate on the guest captive portal.",
            ),
        ),
    ),
    Topic(
        category="Network",
        subcategory="LAN",
        group="network",
        service="Workplace",
        cis=("core-switch-01",),
        desk_fixable=False,
        reports=(
            Report(
                levels="MM",
                title="Network socket at desk 2.31 is dead",
                description="No link light when I plug my laptop into the wall socket at desk 2.31. Other desks work.",
                diagnosis="Port Gi1/0/31 on the floor switch is err-disabled after a loop was detected.",
                code=R.SOLVED_PERMANENTLY,
                fix="Removed the looped patch cable and re-enabled the switch port.",
            ),
            Report(
                levels="HH",
                title="Warehouse scanners lost their network connection",
                description=(
                    "None of the hand scanners in the warehouse can reach the stock system. Trucks are waiting."
                ),
                diagnosis="The warehouse VLAN was removed from the trunk on core-switch-01 during last night's change.",
                code=R.SOLVED_PERMANENTLY,
                fix="Re-added the warehouse VLAN to the trunk; scanners reconnected at once.",
            ),
            Report(
                levels="LM",
                title="Copying files to the shared drive is very slow",
                description="Copying a 200 MB folder to the S: drive takes over ten minutes since Monday.",
                diagnosis="Duplex mismatch on the uplink of the second-floor switch; counters show late collisions.",
                code=R.SOLVED_PERMANENTLY,
                fix="Set the uplink to auto-negotiation on both ends; copy speed is back to normal.",
            ),
        ),
    ),
)
