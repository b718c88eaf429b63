"""Hardware incidents: laptops, printers, servers and storage."""

from typing import Final

from keel.demo.topics.base import R, Report, Topic

HARDWARE: Final[tuple[Topic, ...]] = (
    Topic(
        category="Hardware",
        subcategory="Laptop",
        group="end-user-computing",
        service="Workplace",
        cis=(),
        desk_fixable=False,
        reports=(
            Report(
                levels="LM",
                title="Laptop battery empty within an hour",
                description="My laptop goes from full to empty in about an hour, even with only e-mail open.",
                diagnosis="Battery health report: 41 % of design capacity. The device is 3.5 years old.",
                code=R.SOLVED_PERMANENTLY,
                fix="Replaced the battery; runtime is back to about seven hours.",
            ),
            Report(
                levels="MH",
                title="Laptop stuck at 'Preparing automatic repair' after the update",
                description=(
                    "After last night's Windows update my laptop only shows 'Preparing automatic repair' and restarts. "
                    "I have a board meeting this afternoon."
                ),
                diagnosis="Retrieved the BitLocker recovery key from the directory; safe mode boots.",
                code=R.SOLVED_PERMANENTLY,
                fix="Rolled back the update and reinstalled it cleanly; the laptop boots normally.",
            ),
            Report(
                levels="LL",
                title="Several keys on my laptop keyboard do not work",
                description="The keys E, R and 4 only work when I press very hard.",
                diagnosis="Liquid damage under the keyboard; ordered a replacement keyboard.",
                code=R.SOLVED_PERMANENTLY,
                fix="Replaced the keyboard on site.",
            ),
            Report(
                levels="MM",
                title="Screen flickers and goes black when docked",
                description="When I connect the laptop to the dock the external screen flickers and then goes black.",
                diagnosis="Dock firmware is two versions behind; the vendor lists a fix for display dropouts.",
                code=R.SOLVED_REMOTELY,
                fix="Updated the dock firmware and the graphics driver remotely.",
            ),
        ),
    ),
    Topic(
        category="Hardware",
        subcategory="Printer",
        group="end-user-computing",
        service="Workplace",
        cis=("print-srv-01",),
        desk_fixable=True,
        reports=(
            Report(
                levels="LM",
                title="Printer on floor 2 reports a paper jam but nothing is stuck",
                description=(
                    "The printer by the kitchen on floor 2 says 'Paper jam in tray 2' but we cannot find any paper."
                ),
                diagnosis="A scrap of label backing is stuck on the tray 2 sensor.",
                code=R.SOLVED_PERMANENTLY,
                fix="Cleaned the paper sensor in tray 2; the false jam message is gone.",
            ),
            Report(
                levels="MM",
                title="Cannot print to any printer; jobs stay in the queue",
                description="All my print jobs stay in the queue with status 'Error - Printing'. Colleagues can print.",
                diagnosis="The caller's print driver was replaced by a generic one during the last update.",
                code=R.SOLVED_REMOTELY,
                fix="Cleared the queue and reinstalled the printer driver remotely; test page printed.",
            ),
            Report(
                levels="LL",
                title="Colour printer prints faded stripes",
                description="Everything from the colour printer in marketing has pale vertical stripes.",
                diagnosis="Cyan and magenta toner at 3 %; the supplier delivers tomorrow.",
                code=R.SOLVED_PERMANENTLY,
                fix="Replaced the toner cartridges and ran the cleaning cycle.",
            ),
        ),
    ),
    Topic(
        category="Hardware",
        subcategory="Server & storage",
        group="database",
        service="Online shop",
        cis=("storage-cluster-01",),
        desk_fixable=False,
        reports=(
            Report(
                levels="HM",
                title="Product images load very slowly on the shop",
                description="Customers report that product pages take ages to show pictures; the text appears at once.",
                diagnosis="One OSD on storage-cluster-01 is flapping; the cluster is rebalancing and reads are slow.",
                code=R.SOLVED_PERMANENTLY,
                fix="Replaced the failing disk behind osd.7; latency is back to normal.",
            ),
            Report(
                levels="MM",
                title="Backup share on storage-cluster-01 almost full",
                description="The weekly report shows the backup share at 94 %. Last month it was 70 %.",
                diagnosis="Old database dumps from the migration project are still on the backup share (2.1 TB).",
                code=R.SOLVED_PERMANENTLY,
                fix="Removed the obsolete dumps after sign-off by the project lead; 41 % used.",
            ),
        ),
        alerts=(
            Report(
                levels="MH",
                title="storage-cluster-01: disk usage above 90 %",
                description='Alertmanager: ceph_cluster_used_ratio{cluster="storage-cluster-01"} > 0.9 for 15m.',
                diagnosis="Snapshots of the image bucket were never pruned after the retention change.",
                code=R.SOLVED_PERMANENTLY,
                fix="Pruned snapshots older than 30 days and re-enabled the retention job.",
            ),
        ),
    ),
)
